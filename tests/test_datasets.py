"""The data layer: local first, Keras semantics, clear errors for missing or broken files."""

import json
import shutil

import fakedata
import numpy as np
import pytest

from dlwp import UserError, datasets


def test_data_roots_order(tmp_path, monkeypatch):
    monkeypatch.setenv("DLWP_DATA_DIR", str(tmp_path / "env"))
    assert datasets.data_roots(tmp_path / "flag")[0] == (tmp_path / "flag").resolve()
    assert datasets.data_roots()[0] == (tmp_path / "env").resolve()
    assert datasets.data_roots()[-1] == datasets.DEFAULT_DATA_DIR.resolve()


def test_read_only_data_folder_is_not_written(tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    monkeypatch.setattr(datasets, "DEFAULT_DATA_DIR", tmp_path / "default")
    try:
        assert datasets.writable_root(ro) == (tmp_path / "default").resolve()
    finally:
        ro.chmod(0o755)


def test_load_mnist_tiny_and_source_recorded(tiny_data):
    datasets.used_sources(clear=True)
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(tiny_data)
    assert x_train.shape == (300, 28, 28) and x_train.dtype == np.uint8
    assert y_test.shape == (100,)
    [source] = datasets.used_sources()
    assert source["file"].endswith("datasets/mnist.npz")
    assert source["kind"] == "made-for-tests"


def test_missing_file_offline_names_file_folders_url_and_fix(empty_data):
    with pytest.raises(UserError) as exc:
        datasets.load_mnist(empty_data)
    msg = str(exc.value)
    assert "datasets/mnist.npz not found" in msg
    assert str(empty_data) in msg and "no_default_data" in msg
    assert "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz" in msg
    assert "--data-dir" in msg and "DLWP_DATA_DIR" in msg
    assert exc.value.code.startswith("error: ")  # one line, exit status 1 from the shell


def test_missing_file_download_failure_is_one_clear_error(empty_data, monkeypatch):
    import keras

    monkeypatch.delenv("DLWP_OFFLINE")
    calls = []

    def offline_get_file(**kwargs):
        calls.append(kwargs)
        raise Exception(
            f"URL fetch failure on {kwargs['origin']}: None -- Name or service not known"
        )

    monkeypatch.setattr(keras.utils, "get_file", offline_get_file)
    with pytest.raises(UserError, match="download failed .*Name or service not known"):
        datasets.load_boston_housing(empty_data)
    assert calls[0]["file_hash"].startswith("f553886a")  # the official hash is checked
    assert calls[0]["cache_subdir"] == "datasets"


def test_corrupt_npz_is_named(tmp_path):
    root = fakedata.new_data_root(tmp_path / "d")
    (root / "datasets" / "mnist.npz").write_bytes(b"this is not a zip file")
    with pytest.raises(UserError, match=r"mnist\.npz cannot be read as \.npz"):
        datasets.load_mnist(root)


def test_npz_missing_key_and_wrong_shape(tmp_path):
    root = fakedata.new_data_root(tmp_path / "d")
    np.savez(root / "datasets" / "mnist.npz", x_train=np.zeros((2, 28, 28)))
    with pytest.raises(UserError, match="missing key"):
        datasets.load_mnist(root)
    z = np.zeros((2, 28, 28), "uint8")
    np.savez(
        root / "datasets" / "mnist.npz",
        x_train=z,
        y_train=np.zeros(3),
        x_test=z,
        y_test=np.zeros(2),
    )
    with pytest.raises(UserError, match="malformed: y_train has shape"):
        datasets.load_mnist(root)


def test_truncated_tarball_is_named(tmp_path):
    root = fakedata.new_data_root(tmp_path / "d")
    tar = fakedata.write_imdb_raw(root, per_class=20)
    tar.write_bytes(tar.read_bytes()[: tar.stat().st_size // 2])
    with pytest.raises(
        UserError, match=r"aclImdb_v1\.tar\.gz is not a readable tar\.gz.*truncated"
    ):
        datasets.load_imdb_reviews("train", root)


def test_bad_json_word_index(tmp_path):
    root = fakedata.new_data_root(tmp_path / "d")
    (root / "datasets" / "reuters_word_index.json").write_text("{not json")
    with pytest.raises(UserError, match="reuters_word_index.json is not a readable JSON"):
        datasets.load_word_index("reuters", root)


def test_text_to_word_sequence_is_keras_classic():
    text = "This is <br /><br />It's, well (the END)!"
    assert datasets.text_to_word_sequence(text) == [
        "this",
        "is",
        "br",
        "br",
        "it's",
        "well",
        "the",
        "end",
    ]


def test_imdb_reviews_order_and_labels(tiny_data):
    texts, labels = datasets.load_imdb_reviews("test", tiny_data)
    assert len(texts) == 320 and labels.tolist() == [0] * 160 + [1] * 160
    assert all(isinstance(t, str) and t.startswith("This ") for t in texts)


def test_imdb_from_raw_equals_imdb_npz_semantics(tiny_data, tmp_path):
    """The raw-review path must give what Keras' loader gives on an imdb.npz of the same reviews."""
    index = fakedata.imdb_word_index()
    ranks = {}
    for subset in ("train", "test"):
        texts, labels = datasets.load_imdb_reviews(subset, tiny_data)
        seqs = [[index[w] for w in datasets.text_to_word_sequence(t) if w in index] for t in texts]
        ranks[subset] = (seqs, labels)
    official = fakedata.new_data_root(tmp_path / "official")
    np.savez(
        official / "datasets" / "imdb.npz",
        x_train=fakedata._object_array(ranks["train"][0]),
        y_train=ranks["train"][1],
        x_test=fakedata._object_array(ranks["test"][0]),
        y_test=ranks["test"][1],
    )
    for kwargs in ({}, {"num_words": 15}, {"num_words": 15, "skip_top": 3, "maxlen": 30}):
        (a_x, a_y), (a_xt, a_yt) = datasets.load_imdb(tiny_data, **kwargs)
        (b_x, b_y), (b_xt, b_yt) = datasets.load_imdb(official, **kwargs)
        assert a_x.tolist() == b_x.tolist() and a_xt.tolist() == b_xt.tolist()
        assert a_y.tolist() == b_y.tolist() and a_yt.tolist() == b_yt.tolist()
    (x, y), _ = datasets.load_imdb(tiny_data, num_words=15)
    assert all(seq[0] == 1 and max(seq) < 15 for seq in x)
    assert 2 in {w for seq in x for w in seq}  # out-of-vocabulary words become 2
    # the shuffle (seed 113) mixes the classes
    assert 0 < y[:50].mean() < 1


def test_imdb_cache_reused_then_rebuilt_when_source_changes(tmp_path):
    root = fakedata.new_data_root(tmp_path / "d")
    fakedata.write_imdb_raw(root, per_class=10)
    datasets.load_imdb(root)
    cache = root / "datasets" / "imdb_from_aclImdb.npz"
    first = cache.stat().st_mtime_ns
    datasets.load_imdb(root)
    assert cache.stat().st_mtime_ns == first
    fakedata.write_imdb_raw(root, per_class=12, seed=5)
    (x, _), _ = datasets.load_imdb(root)
    assert len(x) == 24 and cache.stat().st_mtime_ns != first


def test_extracted_aclimdb_folder_is_used(tiny_data, tmp_path):
    import tarfile

    root = fakedata.new_data_root(tmp_path / "d")
    with tarfile.open(tiny_data / "datasets" / "aclImdb_v1.tar.gz") as tar:
        tar.extractall(root / "datasets", filter="data")
    shutil.copy(tiny_data / "datasets" / "imdb_word_index.json", root / "datasets")
    texts, labels = datasets.load_imdb_reviews("train", root)
    texts_tar, labels_tar = datasets.load_imdb_reviews("train", tiny_data)
    assert texts == texts_tar and labels.tolist() == labels_tar.tolist()
    assert datasets.used_sources()[-1]["file"].endswith("datasets/aclImdb")


def test_reuters_and_boston_keras_semantics(tiny_data):
    (x, y), (xt, yt) = datasets.load_reuters(tiny_data, num_words=100)
    assert len(x) == int(400 * 0.8) and len(xt) == 80
    assert all(s[0] == 1 and max(s) < 100 for s in x)
    raw = np.load(tiny_data / "datasets" / "reuters.npz", allow_pickle=True)
    order = np.arange(400)
    np.random.RandomState(113).shuffle(order)
    assert y.tolist() == raw["y"][order][:320].tolist()
    assert x[0][1:] == [w + 3 if w + 3 < 100 else 2 for w in raw["x"][order[0]]]
    (bx, by), (bxt, byt) = datasets.load_boston_housing(tiny_data)
    assert bx.shape == (64, 13) and bxt.shape == (16, 13)


def test_word_index(tiny_data):
    index = datasets.load_word_index("imdb", tiny_data)
    assert index["the"] == 1 and json.loads(json.dumps(index)) == index


def test_find_weights(tmp_path, empty_data):
    assert datasets.find_weights("vgg16", False, "none", empty_data) is None
    with pytest.raises(
        UserError, match="vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 not found"
    ):
        datasets.find_weights("vgg16", False, "imagenet", empty_data)
    with pytest.raises(UserError, match="--weights nope.h5: no such file"):
        datasets.find_weights("vgg16", False, "nope.h5", empty_data)
    (empty_data / "models").mkdir()
    local = empty_data / "models" / "mobilenet_2_5_224_tf_no_top.h5"
    local.write_bytes(b"h5")
    assert datasets.find_weights("mobilenet", False, "imagenet", empty_data) == str(local)
