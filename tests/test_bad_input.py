"""Bad input never costs data: one line naming the problem and the fix, exit status 1, no
traceback, and the results folder exactly as it was. Each case runs a real script's `main`
through `dlwp.flags.run`, as the shell does."""

import json

import fakedata
import numpy as np
import pytest

from chapter02 import display_digit, mnist_first_network
from chapter03 import boston_housing_kfold, imdb_binary_classification, reuters_newswires
from dlwp import flags


def listing(root):
    return sorted(
        (str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")
    )


@pytest.fixture
def results_dir(tmp_path):
    """A results folder holding an earlier good result of every script run here."""
    out = tmp_path / "results"
    for chapter, name in [
        ("chapter02", "mnist_first_network"),
        ("chapter03", "reuters_newswires"),
        ("chapter03", "boston_housing_kfold"),
        ("chapter03", "imdb_binary_classification"),
    ]:
        (out / chapter).mkdir(parents=True, exist_ok=True)
        (out / chapter / f"{name}.json").write_text(json.dumps({"profile": "quick"}))
    return out


def truncated_mnist(root):
    path = fakedata.write_mnist(root, n_train=20, n_test=10)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def empty_reuters(root):
    fakedata.write_reuters(root, n=20)
    (root / "datasets" / "reuters.npz").write_bytes(b"")


def boston_wrong_keys(root):
    np.savez(root / "datasets" / "boston_housing.npz", data=np.zeros((5, 13)), y=np.zeros(5))


def word_index_not_json(root):
    fakedata.write_imdb_raw(root, per_class=5)
    (root / "datasets" / "imdb_word_index.json").write_text("<html>not json</html>")


def truncated_acl_imdb(root):
    tar = fakedata.write_imdb_raw(root, per_class=20)
    tar.write_bytes(tar.read_bytes()[: tar.stat().st_size // 3])


def _rewrite_npz(path, **changes):
    with np.load(path, allow_pickle=True) as f:
        arrays = {k: f[k] for k in f.files}
    arrays.update(changes)
    np.savez(path, **arrays)


def boston_nan_target(root):
    path = fakedata.write_boston(root)
    y = np.load(path)["y"].copy()
    y[17] = np.nan
    _rewrite_npz(path, y=y)


def boston_inf_feature(root):
    path = fakedata.write_boston(root)
    x = np.load(path)["x"].copy()
    x[3, 5] = np.inf
    _rewrite_npz(path, x=x)


def mnist_float_pixels(root):
    path = fakedata.write_mnist(root, n_train=20, n_test=10)
    _rewrite_npz(path, x_train=np.load(path)["x_train"].astype("float64") * 1000)


def mnist_label_10(root):
    path = fakedata.write_mnist(root, n_train=20, n_test=10)
    y = np.load(path)["y_test"].copy()
    y[2] = 10
    _rewrite_npz(path, y_test=y)


def mnist_float_labels(root):
    path = fakedata.write_mnist(root, n_train=20, n_test=10)
    _rewrite_npz(path, y_train=np.load(path)["y_train"].astype("float32") + 0.5)


def reuters_label_46(root):
    path = fakedata.write_reuters(root, n=30)
    y = np.load(path, allow_pickle=True)["y"].copy()
    y[0] = 46
    _rewrite_npz(path, y=y)


def reuters_negative_word(root):
    path = fakedata.write_reuters(root, n=30)
    x = np.load(path, allow_pickle=True)["x"].copy()
    x[4] = [3, -7, 12]
    _rewrite_npz(path, x=x)


def word_index_rank_zero(root):
    fakedata.write_imdb_raw(root, per_class=5)
    path = root / "datasets" / "imdb_word_index.json"
    index = json.loads(path.read_text())
    index["the"] = 0
    path.write_text(json.dumps(index))


def word_index_rank_text(root):
    fakedata.write_imdb_raw(root, per_class=5)
    path = root / "datasets" / "imdb_word_index.json"
    index = json.loads(path.read_text())
    index["film"] = "16"
    path.write_text(json.dumps(index))


def word_index_rank_twice(root):
    fakedata.write_imdb_raw(root, per_class=5)
    path = root / "datasets" / "imdb_word_index.json"
    index = json.loads(path.read_text())
    index["movie"] = index["film"]
    path.write_text(json.dumps(index))


def imdb_npz_label_2(root):
    seqs = np.empty(4, dtype="object")
    seqs[:] = [[1, 5, 9], [2, 4], [7, 7, 7, 8], [3]]
    np.savez(
        root / "datasets" / "imdb.npz",
        x_train=seqs,
        y_train=np.array([0, 1, 2, 0]),
        x_test=seqs,
        y_test=np.array([1, 0, 1, 0]),
    )
    fakedata.write_imdb_raw(root, per_class=2)
    (root / "datasets" / "aclImdb_v1.tar.gz").unlink()  # imdb.npz is the one read


def mnist_no_test_images(root):
    path = fakedata.write_mnist(root, n_train=20, n_test=10)
    _rewrite_npz(path, x_test=np.zeros((0, 28, 28), "uint8"), y_test=np.zeros(0, "uint8"))


def boston_three_houses(root):
    path = fakedata.write_boston(root)
    with np.load(path) as f:
        _rewrite_npz(path, x=f["x"][:3], y=f["y"][:3])


CASES = {
    "truncated mnist.npz": (mnist_first_network, truncated_mnist, "mnist.npz: cannot be read"),
    "zero-byte reuters.npz": (reuters_newswires, empty_reuters, "reuters.npz: cannot be read"),
    "boston_housing.npz with the wrong keys": (
        boston_housing_kfold,
        boston_wrong_keys,
        "boston_housing.npz: malformed: missing key(s) ['x']",
    ),
    "imdb_word_index.json not JSON": (
        imdb_binary_classification,
        word_index_not_json,
        "imdb_word_index.json: not readable JSON",
    ),
    "truncated aclImdb_v1.tar.gz": (
        imdb_binary_classification,
        truncated_acl_imdb,
        "aclImdb_v1.tar.gz: not a readable tar.gz archive",
    ),
    # content, not only structure: values a loader must refuse before they train silently
    "a NaN house price": (
        boston_housing_kfold,
        boston_nan_target,
        "boston_housing.npz: malformed: y holds 1 NaN or infinite value(s)",
    ),
    "an infinite Boston feature": (
        boston_housing_kfold,
        boston_inf_feature,
        "boston_housing.npz: malformed: x holds 1 NaN or infinite value(s)",
    ),
    "MNIST pixels as float64 x1000": (
        mnist_first_network,
        mnist_float_pixels,
        "mnist.npz: malformed: x_train has dtype float64; the official pixels are uint8",
    ),
    "an MNIST label 10": (
        mnist_first_network,
        mnist_label_10,
        "..10; this dataset's are 0-9",
    ),
    "MNIST labels as floats": (
        mnist_first_network,
        mnist_float_labels,
        "mnist.npz: malformed: y_train has dtype float32; labels are integers 0-9",
    ),
    "a Reuters label 46": (
        reuters_newswires,
        reuters_label_46,
        "..46; this dataset's are 0-45",
    ),
    "a negative Reuters word rank": (
        reuters_newswires,
        reuters_negative_word,
        "reuters.npz: malformed: x[4] is not a list of word ranks",
    ),
    "an IMDB word of rank 0": (
        imdb_binary_classification,
        word_index_rank_zero,
        "imdb_word_index.json: malformed: 1 word(s) without a positive integer rank, e.g. 'the'",
    ),
    "an IMDB word rank as text": (
        imdb_binary_classification,
        word_index_rank_text,
        "imdb_word_index.json: malformed: 1 word(s) without a positive integer rank",
    ),
    "two IMDB words of one rank": (
        imdb_binary_classification,
        word_index_rank_twice,
        "imdb_word_index.json: malformed: 1 rank(s) given to more than one word",
    ),
    "MNIST without test images": (
        mnist_first_network,
        mnist_no_test_images,
        "mnist.npz: malformed: x_test holds no images",
    ),
    "Boston with three houses": (
        boston_housing_kfold,
        boston_three_houses,
        "boston_housing.npz: malformed: 3 houses: too few to split into training and test",
    ),
    "an IMDB label 2 in imdb.npz": (
        imdb_binary_classification,
        imdb_npz_label_2,
        "imdb.npz: malformed: y_train holds labels 0..2; this dataset's are 0-1",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_broken_data_file_is_one_line_and_costs_nothing(case, tmp_path, results_dir, capsys):
    module, breaker, expected = CASES[case]
    data = fakedata.new_data_root(tmp_path / "data")
    breaker(data)
    before = listing(results_dir)
    argv = ["--profile", "quick", "--data-dir", str(data), "--output-dir", str(results_dir)]
    with pytest.raises(SystemExit) as exc:
        flags.run(module.main, argv)
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and expected in err[0], err
    assert "Traceback" not in err[0]
    assert listing(results_dir) == before


def test_an_empty_data_folder_offline_is_one_line(empty_data, results_dir, capsys):
    before = listing(results_dir)
    argv = ["--data-dir", str(empty_data), "--output-dir", str(results_dir)]
    with pytest.raises(SystemExit) as exc:
        flags.run(mnist_first_network.main, argv)
    assert exc.value.code == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: datasets/mnist.npz not found in ") and "--data-dir" in line
    assert listing(results_dir) == before


def test_a_run_never_writes_into_the_data_folder(tmp_path):
    """A writable --data-dir is only read: a run that rebuilds IMDB leaves its listing as it was."""
    data = fakedata.new_data_root(tmp_path / "data")
    fakedata.write_imdb_raw(data)
    before = listing(data)
    argv = ["--profile", "smoke", "--data-dir", str(data), "--output-dir", str(tmp_path / "out")]
    imdb_binary_classification.main(argv)
    assert listing(data) == before


def test_two_builders_of_one_cache_share_it(tmp_path):
    """Two processes preparing the same Dogs-vs-Cats split at once both succeed, with one result."""
    import subprocess
    import sys

    data = fakedata.new_data_root(tmp_path / "data")
    fakedata.write_dogs_vs_cats(data)
    code = (
        "import sys\n"
        "from dlwp.data import dogs_vs_cats\n"
        "from dlwp.data.core import DataFolders\n"
        "base, _ = dogs_vs_cats.prepare_split(DataFolders.resolve(sys.argv[1]),"
        " dogs_vs_cats.SMOKE_SPLIT)\n"
        "print(sorted(dogs_vs_cats.count_images(base).items()))\n"
    )
    env = {"DLWP_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(data)],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-500:] for o in outs]
    assert outs[0][0] == outs[1][0] and "('train/cats', 6)" in outs[0][0]
    leftovers = [p.name for p in (tmp_path / "cache").rglob("*.tmp")]
    assert leftovers == []


def _one_line_exit(module, argv, capsys, code=1) -> str:
    with pytest.raises(SystemExit) as exc:
        flags.run(module.main, argv)
    assert exc.value.code == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 or (code == 2 and err[-1].startswith("usage") is False), err
    assert "Traceback" not in "\n".join(err)
    return err[-1]


def _unreadable(tmp_path):
    path = tmp_path / "closed"
    path.mkdir()
    path.chmod(0)
    return path


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda t: t / "nowhere", "--data-dir {} does not exist"),
        (
            lambda t: fakedata.write_mnist(fakedata.new_data_root(t / "d")),
            "is a file, not a folder",
        ),
        (_unreadable, "--data-dir {} cannot be read (permissions 0o0)"),
        (lambda t: "", "--data-dir is empty"),
    ],
    ids=["missing", "a file", "unreadable", "empty"],
)
def test_a_bad_data_folder_is_named_as_such(make, expected, tmp_path, results_dir, capsys):
    folder = make(tmp_path)
    before = listing(results_dir)
    argv = ["--data-dir", str(folder), "--output-dir", str(results_dir)]
    line = _one_line_exit(mnist_first_network, argv, capsys)
    assert line.startswith("error: ") and expected.format(folder) in line, line
    assert listing(results_dir) == before


def test_a_bad_data_dir_env_is_named_too(tmp_path, monkeypatch, results_dir, capsys):
    monkeypatch.setenv("DLWP_DATA_DIR", str(tmp_path / "typo"))
    line = _one_line_exit(mnist_first_network, ["--output-dir", str(results_dir)], capsys)
    assert f"$DLWP_DATA_DIR {tmp_path / 'typo'} does not exist" in line


def test_an_empty_output_dir_is_refused_not_the_current_folder(
    tiny_data, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    line = _one_line_exit(
        mnist_first_network, ["--data-dir", str(tiny_data), "--output-dir", ""], capsys
    )
    assert "--output-dir is empty" in line and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("seed", ["-1", str(2**32), "1e3"])
def test_a_seed_out_of_range_is_one_line_exit_2(seed, capsys):
    with pytest.raises(SystemExit) as exc:
        flags.run(mnist_first_network.main, ["--seed", seed])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --seed: expected" in err and "Traceback" not in err


def test_relative_folders_are_the_users_not_the_repositorys(tiny_data, tmp_path, monkeypatch):
    """A relative --data-dir / --output-dir is read from the folder the command started in."""
    monkeypatch.chdir(tiny_data.parent)
    result = mnist_first_network.main(
        ["--profile", "smoke", "--data-dir", tiny_data.name, "--output-dir", "out"]
    )
    assert result["data"][0]["folder"] == "--data-dir"
    assert (tiny_data.parent / "out" / "chapter02" / "mnist_first_network.smoke.json").exists()


def test_a_full_disk_is_one_line_and_keeps_the_last_result(
    tiny_data, results_dir, monkeypatch, capsys
):
    import errno

    from dlwp import results

    def no_space(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(results, "write_json", no_space)
    (results_dir / "chapter02" / "display_digit.png").write_bytes(b"an earlier good figure")
    before = listing(results_dir)
    argv = ["--profile", "quick", "--data-dir", str(tiny_data)]
    line = _one_line_exit(display_digit, [*argv, "--output-dir", str(results_dir)], capsys)
    assert "No space left on device" in line and "display_digit.json" in line
    # the figure was drawn before the JSON failed: neither it nor its staging folder is left
    # (the folder's own time changes: a staging folder came and went inside it)
    assert [f for f in listing(results_dir) if f[0] != "chapter02"] == [
        f for f in before if f[0] != "chapter02"
    ]
    assert sorted(p.name for p in (results_dir / "chapter02").iterdir()) == [
        "display_digit.png", "mnist_first_network.json"
    ]  # fmt: skip


def test_non_finite_metrics_fail_and_never_replace_the_good_result(tmp_path, monkeypatch):
    """A run that comes out NaN: exit 1, and the last good JSON, figure and model stay."""
    import argparse

    from matplotlib.figure import Figure

    from dlwp import results
    from dlwp.data.core import DataFolders

    out = tmp_path / "results"
    args = argparse.Namespace(
        profile="quick",
        output_dir=out,
        seed=1,
        argv=[],
        folders=DataFolders.resolve(None, environ={}),
    )
    script = str(tmp_path / "chapter09" / "demo.py")

    def one_run(value):
        run = results.Run(script, args, "demo", {"loss": 1.0})
        fig = Figure()
        fig.subplots().plot([0, 1, value if np.isfinite(value) else 0])
        run.save_figure(fig, "_curve.png")
        (run.path("_frames") / "0.txt").parent.mkdir()
        (run.path("_frames") / "0.txt").write_text(str(value))
        return run.finish({"loss": value, "history": {"val_loss": [0.5, value]}})

    good = one_run(0.25)
    folder = out / "chapter09"
    before = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert set(before) == {"demo.json", "demo_curve.png", "0.txt"}
    assert good["figures"] == ["chapter09/demo_curve.png"]
    for bad in (float("nan"), float("inf")):
        with pytest.raises(results.UserError) as exc:
            one_run(bad)
        assert "metrics are not finite: loss=" in exc.value.message
        assert "history.val_loss[1]" in exc.value.message
        assert {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
        assert not [p for p in folder.iterdir() if "staging" in p.name]


def test_ctrl_c_in_a_script_is_one_line_and_keeps_nothing_staged(tmp_path, capsys):
    import argparse

    from dlwp import results
    from dlwp.data.core import DataFolders

    args = argparse.Namespace(profile="quick", output_dir=tmp_path, seed=1, argv=[],
                              folders=DataFolders.resolve(None, environ={}))  # fmt: skip

    def main(argv):
        run = results.Run(str(tmp_path / "chapter09" / "demo.py"), args, "demo", {})
        run.path(".txt").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as exc:
        flags.run(main, [])
    assert exc.value.code == 130
    assert capsys.readouterr().err.strip() == "interrupted: nothing of this run was kept"
    assert [p.name for p in (tmp_path / "chapter09").iterdir()] == []


@pytest.mark.parametrize(
    "script, argv, expected",
    [
        ("chapter05.dogs_vs_cats_augmentation", ["--learning-rate=-1e-4"], "expected a finite"),
        ("chapter05.dogs_vs_cats_augmentation", ["--learning-rate", "0"], "expected a finite"),
        ("chapter06.imdb_conv1d", ["--learning-rate", "nan"], "expected a finite number > 0"),
        ("chapter06.imdb_conv1d", ["--learning-rate", "fast"], "expected a positive number"),
    ],
)
def test_a_learning_rate_keras_would_take_is_refused_up_front(script, argv, expected, capsys):
    import importlib

    module = importlib.import_module(script)
    with pytest.raises(SystemExit) as exc:
        flags.run(module.main, argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --learning-rate: {expected}" in err and "Traceback" not in err
