"""Data, local first: one small core (`DataFolders`) and one module per dataset family.

    from dlwp.data import mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data(args.folders)

`args.folders` is the `DataFolders` that `dlwp.flags.parse` resolved from `--data-dir`,
`$DLWP_DATA_DIR` and the cache folder; see `dlwp.data.core`.
"""

from dlwp.data.core import DataFolders

__all__ = ["DataFolders"]
