"""Small made-for-tests datasets, written in the real file formats so the real loaders run.

One naming scheme: `write_<dataset>(root, ...)` writes that dataset's files under a data folder
`root` laid out like the Keras cache (`root/datasets/...`, `root/models/...`) and returns the
main path. `new_data_root` marks a folder `MADE_FOR_TESTS`: runs on it never reach RESULTS.md.
"""

from fakedata.boston_housing import write_boston
from fakedata.cifar10 import write_cifar10_frogs, write_cifar10_tar
from fakedata.core import new_data_root
from fakedata.dogs_vs_cats import write_dogs_vs_cats, write_dogs_vs_cats_stubs
from fakedata.glove import write_glove
from fakedata.imagenet import write_class_index
from fakedata.images import jpeg, write_elephant, write_style_images
from fakedata.imdb import IMDB_WORDS, write_imdb_raw
from fakedata.jena import write_jena
from fakedata.mnist import write_mnist
from fakedata.nietzsche import write_nietzsche
from fakedata.reuters import write_reuters

__all__ = [
    "IMDB_WORDS",
    "jpeg",
    "new_data_root",
    "write_boston",
    "write_cifar10_frogs",
    "write_cifar10_tar",
    "write_class_index",
    "write_dogs_vs_cats",
    "write_dogs_vs_cats_stubs",
    "write_elephant",
    "write_glove",
    "write_imdb_raw",
    "write_jena",
    "write_mnist",
    "write_nietzsche",
    "write_reuters",
    "write_style_images",
]
