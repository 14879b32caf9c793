"""Bad input never costs data: one line naming the problem and the fix, exit status 1, no
traceback, and the results folder exactly as it was. Each case runs a real script's `main`
through `dlwp.flags.run`, as the shell does."""

import json

import fakedata
import numpy as np
import pytest

from chapter02 import mnist_first_network
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
