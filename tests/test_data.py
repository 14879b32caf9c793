"""The data layer: folders resolved once, local first, Keras semantics, the cache, clear errors."""

import json
import os
import shutil
import tarfile

import fakedata
import numpy as np
import pytest
from fakedata.imdb import imdb_word_index

from dlwp.data import boston_housing, imagenet, imdb, mnist, reuters
from dlwp.data import word_sequences as ws
from dlwp.data.core import DataFolders
from dlwp.errors import BadData, MissingData, UserError


def folders(data_dir=None) -> DataFolders:
    return DataFolders.resolve(data_dir)


def listing(root):
    return sorted(
        (str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")
    )


def test_folders_order_and_labels(tmp_path, monkeypatch):
    for name in ("env", "flag"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("DLWP_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("DLWP_CACHE_DIR", str(tmp_path / "cache"))
    flag = folders(tmp_path / "flag")
    assert [f.path for f in flag.searched] == [(tmp_path / "flag"), (tmp_path / "cache")]
    assert [f.label for f in flag.searched] == ["--data-dir", "$DLWP_CACHE_DIR"]
    env = folders()
    assert [f.label for f in env.searched] == ["$DLWP_DATA_DIR", "$DLWP_CACHE_DIR"]
    monkeypatch.delenv("DLWP_CACHE_DIR")
    assert folders().cache.label == "data/" and folders().cache.path.name == "data"


def test_a_source_beats_the_cache(tmp_path, monkeypatch):
    """The same file in --data-dir and in the cache: the --data-dir one is read."""
    source = fakedata.new_data_root(tmp_path / "source")
    cache = fakedata.new_data_root(tmp_path / "cache")
    fakedata.write_mnist(source, n_train=7, n_test=3)
    fakedata.write_mnist(cache, n_train=5, n_test=2)
    monkeypatch.setenv("DLWP_CACHE_DIR", str(cache))
    data = folders(source)
    (x, _), _ = mnist.load_data(data)
    assert len(x) == 7 and data.read[0]["folder"] == "--data-dir"
    (tmp_path / "elsewhere").mkdir()
    (x, _), _ = mnist.load_data(folders(tmp_path / "elsewhere"))
    assert len(x) == 5


def test_load_mnist_tiny_and_source_recorded_portably(tiny_data):
    data = folders(tiny_data)
    (x_train, y_train), (x_test, y_test) = mnist.load_data(data)
    assert x_train.shape == (300, 28, 28) and x_train.dtype == np.uint8
    assert y_test.shape == (100,)
    assert data.read == [
        {
            "file": "datasets/mnist.npz",
            "folder": "--data-dir",
            "what": "MNIST",
            "kind": "made-for-tests",
        }
    ]


def test_missing_file_offline_names_file_folders_url_and_fix(empty_data):
    with pytest.raises(MissingData) as exc:
        mnist.load_data(folders(empty_data))
    err = exc.value
    assert err.files == ["datasets/mnist.npz"]
    assert err.fields["searched"] == ["--data-dir", "$DLWP_CACHE_DIR"]
    assert err.fields["url"] == mnist.URL
    assert str(empty_data) in str(err) and "--data-dir" in err.fix
    assert err.code.startswith("error: ")  # one line, exit status 1 from the shell
    portable = json.dumps(err.to_dict())
    assert str(empty_data) not in portable and err.to_dict()["kind"] == "missing input"


def test_missing_file_download_failure_is_one_clear_error(empty_data, monkeypatch):
    import keras

    monkeypatch.delenv("DLWP_OFFLINE")
    calls = []

    def offline_get_file(**kwargs):
        calls.append(kwargs)
        raise Exception(f"URL fetch failure on {kwargs['origin']}: Name or service not known")

    monkeypatch.setattr(keras.utils, "get_file", offline_get_file)
    with pytest.raises(MissingData, match="download failed.*Name or service not known"):
        boston_housing.load_data(folders(empty_data))
    assert calls[0]["file_hash"] == boston_housing.SHA256  # the official hash is checked
    assert calls[0]["cache_subdir"] == "datasets"
    assert calls[0]["cache_dir"] == os.environ["DLWP_CACHE_DIR"]  # downloads land in the cache


def test_corrupt_npz_is_named(tmp_path):
    root = fakedata.new_data_root(tmp_path / "d")
    (root / "datasets" / "mnist.npz").write_bytes(b"this is not a zip file")
    with pytest.raises(BadData, match=r"mnist\.npz: cannot be read as \.npz") as exc:
        mnist.load_data(folders(root))
    assert exc.value.to_dict()["file"] == "datasets/mnist.npz"


def test_npz_missing_key_and_wrong_shape(tmp_path):
    root = fakedata.new_data_root(tmp_path / "d")
    np.savez(root / "datasets" / "mnist.npz", x_train=np.zeros((2, 28, 28)))
    with pytest.raises(BadData, match="missing key"):
        mnist.load_data(folders(root))
    z = np.zeros((2, 28, 28), "uint8")
    np.savez(
        root / "datasets" / "mnist.npz",
        x_train=z,
        y_train=np.zeros(3),
        x_test=z,
        y_test=np.zeros(2),
    )
    with pytest.raises(BadData, match="malformed: y_train has shape"):
        mnist.load_data(folders(root))


def test_truncated_tarball_is_named(tmp_path):
    root = fakedata.new_data_root(tmp_path / "d")
    tar = fakedata.write_imdb_raw(root, per_class=20)
    tar.write_bytes(tar.read_bytes()[: tar.stat().st_size // 2])
    with pytest.raises(BadData, match=r"aclImdb_v1\.tar\.gz: not a readable tar\.gz.*truncated"):
        imdb.load_reviews(folders(root), "train")


def test_bad_json_word_index(tmp_path):
    root = fakedata.new_data_root(tmp_path / "d")
    (root / "datasets" / "reuters_word_index.json").write_text("{not json")
    with pytest.raises(BadData, match="reuters_word_index.json: not readable JSON"):
        reuters.get_word_index(folders(root))


def test_text_to_word_sequence_is_keras_classic():
    text = "This is <br /><br />It's, well (the END)!"
    assert imdb.text_to_word_sequence(text) == [
        "this", "is", "br", "br", "it's", "well", "the", "end",
    ]  # fmt: skip


def test_imdb_reviews_order_and_labels(tiny_data):
    texts, labels = imdb.load_reviews(folders(tiny_data), "test")
    assert len(texts) == 320 and labels.tolist() == [0] * 160 + [1] * 160
    assert all(isinstance(t, str) and t.startswith("This ") for t in texts)


def test_imdb_from_raw_equals_imdb_npz_semantics(tiny_data, tmp_path):
    """The raw-review path must give what Keras' loader gives on an imdb.npz of the same reviews."""
    index = imdb_word_index()
    ranks = {}
    for subset in ("train", "test"):
        texts, labels = imdb.load_reviews(folders(tiny_data), subset)
        seqs = [[index[w] for w in imdb.text_to_word_sequence(t) if w in index] for t in texts]
        ranks[subset] = (seqs, labels)
    official = fakedata.new_data_root(tmp_path / "official")
    np.savez(
        official / "datasets" / "imdb.npz",
        x_train=ws.object_array(ranks["train"][0]),
        y_train=ranks["train"][1],
        x_test=ws.object_array(ranks["test"][0]),
        y_test=ranks["test"][1],
    )
    for kwargs in ({}, {"num_words": 15}, {"num_words": 15, "skip_top": 3, "maxlen": 30}):
        (a_x, a_y), (a_xt, a_yt) = imdb.load_data(folders(tiny_data), **kwargs)
        (b_x, b_y), (b_xt, b_yt) = imdb.load_data(folders(official), **kwargs)
        assert a_x.tolist() == b_x.tolist() and a_xt.tolist() == b_xt.tolist()
        assert a_y.tolist() == b_y.tolist() and a_yt.tolist() == b_yt.tolist()
    (x, y), _ = imdb.load_data(folders(tiny_data), num_words=15)
    assert all(seq[0] == 1 and max(seq) < 15 for seq in x)
    assert 2 in {w for seq in x for w in seq}  # out-of-vocabulary words become 2
    assert 0 < y[:50].mean() < 1  # the shuffle (seed 113) mixes the classes


def test_imdb_rows_keep_their_labels_in_keras_seed_113_order(tiny_data):
    """Each split is its own reviews, each with its folder's label, in the order Keras' loader
    gives: one RandomState(113) shuffles the training reviews, then the test reviews."""
    index = imdb_word_index()
    rng = np.random.RandomState(113)
    # num_words above the vocabulary: without it Keras makes the top rank out-of-vocabulary
    (x, y), (xt, yt) = imdb.load_data(folders(tiny_data), num_words=10000)
    for subset, got_x, got_y in (("train", x, y), ("test", xt, yt)):
        texts, labels = imdb.load_reviews(folders(tiny_data), subset)
        seqs = [[1] + [index[w] + 3 for w in imdb.text_to_word_sequence(t) if w in index]
                for t in texts]  # fmt: skip
        order = np.arange(len(seqs))
        rng.shuffle(order)
        assert got_x.tolist() == [seqs[i] for i in order]
        assert got_y.tolist() == labels[order].tolist()


def test_imdb_cache_reused_then_rebuilt_when_source_changes(tmp_path, monkeypatch):
    root = fakedata.new_data_root(tmp_path / "d")
    monkeypatch.setenv("DLWP_CACHE_DIR", str(tmp_path / "cache"))
    fakedata.write_imdb_raw(root, per_class=10)
    imdb.load_data(folders(root))
    cache = tmp_path / "cache" / imdb.CACHE
    first = cache.stat().st_mtime_ns
    imdb.load_data(folders(root))
    assert cache.stat().st_mtime_ns == first
    fakedata.write_imdb_raw(root, per_class=12, seed=5)
    (x, _), _ = imdb.load_data(folders(root))
    assert len(x) == 24 and cache.stat().st_mtime_ns != first


def test_a_corrupt_imdb_cache_is_rebuilt_not_trusted(tmp_path, monkeypatch):
    root = fakedata.new_data_root(tmp_path / "d")
    monkeypatch.setenv("DLWP_CACHE_DIR", str(tmp_path / "cache"))
    fakedata.write_imdb_raw(root, per_class=10)
    (x, _), _ = imdb.load_data(folders(root))
    cache = tmp_path / "cache" / imdb.CACHE
    cache.write_bytes(cache.read_bytes()[: cache.stat().st_size // 2])  # a half-written file
    (x2, _), _ = imdb.load_data(folders(root))
    assert x2.tolist() == x.tolist()
    assert [p.name for p in cache.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_the_data_folder_is_never_written(tiny_data, tmp_path):
    """A writable --data-dir is a source: loading (and the IMDB rebuild) leaves it unchanged."""
    root = fakedata.new_data_root(tmp_path / "rw")
    fakedata.write_imdb_raw(root, per_class=10)
    fakedata.write_mnist(root, n_train=10, n_test=5)
    before = listing(root)
    imdb.load_data(folders(root))
    mnist.load_data(folders(root))
    assert listing(root) == before


def test_extracted_aclimdb_folder_is_used(tiny_data, tmp_path):
    root = fakedata.new_data_root(tmp_path / "d")
    with tarfile.open(tiny_data / "datasets" / "aclImdb_v1.tar.gz") as tar:
        tar.extractall(root / "datasets", filter="data")
    shutil.copy(tiny_data / "datasets" / "imdb_word_index.json", root / "datasets")
    data = folders(root)
    texts, labels = imdb.load_reviews(data, "train")
    texts_tar, labels_tar = imdb.load_reviews(folders(tiny_data), "train")
    assert texts == texts_tar and labels.tolist() == labels_tar.tolist()
    assert data.read[-1]["file"] == "datasets/aclImdb"


def test_reuters_and_boston_keras_semantics(tiny_data):
    (x, y), (xt, yt) = reuters.load_data(folders(tiny_data), num_words=100)
    assert len(x) == int(400 * 0.8) and len(xt) == 80
    assert all(s[0] == 1 and max(s) < 100 for s in x)
    raw = np.load(tiny_data / "datasets" / "reuters.npz", allow_pickle=True)
    order = np.arange(400)
    np.random.RandomState(113).shuffle(order)
    assert y.tolist() == raw["y"][order][:320].tolist()
    assert x[0][1:] == [w + 3 if w + 3 < 100 else 2 for w in raw["x"][order[0]]]
    (bx, by), (bxt, byt) = boston_housing.load_data(folders(tiny_data))
    assert bx.shape == (64, 13) and bxt.shape == (16, 13)
    raw = np.load(tiny_data / "datasets" / "boston_housing.npz")
    order = np.arange(80)
    np.random.RandomState(113).shuffle(order)
    assert np.array_equal(bx, raw["x"][order][:64]) and np.array_equal(byt, raw["y"][order][64:])


def test_word_index(tiny_data):
    index = imdb.get_word_index(folders(tiny_data))
    assert index["the"] == 1 and index["fun"] == len(fakedata.IMDB_WORDS)


def test_find_weights(empty_data):
    data = folders(empty_data)
    assert imagenet.find_weights(data, "vgg16", False, "none") is None
    with pytest.raises(MissingData, match="vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 not"):
        imagenet.find_weights(data, "vgg16", False, "imagenet")
    with pytest.raises(UserError, match="--weights nope.h5: no such file"):
        imagenet.find_weights(data, "vgg16", False, "nope.h5")
    (empty_data / "models").mkdir()
    local = empty_data / "models" / "mobilenet_2_5_224_tf_no_top.h5"
    local.write_bytes(b"h5")
    assert imagenet.find_weights(data, "mobilenet", False, "imagenet") == str(local)


def test_a_wrong_weights_file_is_one_line(tmp_path):
    import keras

    bad = tmp_path / "not_weights.h5"
    bad.write_text("hello")
    with pytest.raises(BadData, match="not_weights.h5: not loadable as the MobileNet weights"):
        imagenet.build(
            keras.applications.MobileNet, folders(tmp_path), str(bad), "MobileNet",
            alpha=0.25, include_top=False, input_shape=(32, 32, 3),
        )  # fmt: skip


def test_jena_csv_extracted_into_the_cache_and_again_when_the_zip_changes(tmp_path, monkeypatch):
    from dlwp.data import jena

    root = fakedata.new_data_root(tmp_path / "d")
    monkeypatch.setenv("DLWP_CACHE_DIR", str(tmp_path / "cache"))
    fakedata.write_jena(root, 50, as_zip=True)
    before = listing(root)
    assert len(jena.load(folders(root))[1]) == 50
    assert (tmp_path / "cache" / jena.CSV).is_file() and listing(root) == before
    fakedata.write_jena(root, 60, as_zip=True)
    assert len(jena.load(folders(root))[1]) == 60


def test_the_imdb_rebuild_is_keyed_by_every_input(tmp_path, monkeypatch):
    """A new word index alone, or reviews moved between pos/ and neg/ of an extracted folder
    (same count, same sizes), each make a new rebuild: a stale cache is never read."""
    import tarfile

    root = fakedata.new_data_root(tmp_path / "d")
    monkeypatch.setenv("DLWP_CACHE_DIR", str(tmp_path / "cache"))
    tar = fakedata.write_imdb_raw(root, per_class=6)
    with tarfile.open(tar) as t:
        t.extractall(root / "datasets", filter="data")
    tar.unlink()
    (x, y), _ = imdb.load_data(folders(root), seed=0)
    index_path = root / "datasets" / "imdb_word_index.json"
    index = json.loads(index_path.read_text())
    index["movie"], index["film"] = index["film"], index["movie"]
    index_path.write_text(json.dumps(index))
    (x2, y2), _ = imdb.load_data(folders(root), seed=0)
    assert x2.tolist() != x.tolist() and y2.tolist() == y.tolist()
    train = root / "datasets" / "aclImdb" / "train"
    (train / "pos").rename(train / "tmp")
    (train / "neg").rename(train / "pos")
    (train / "tmp").rename(train / "neg")
    (x3, y3), _ = imdb.load_data(folders(root), seed=0)

    def pairs(x, y):
        return sorted((tuple(s), int(label)) for s, label in zip(x, y))

    assert pairs(x3, y3) == pairs(x2, 1 - y2)  # every review now carries the other label
