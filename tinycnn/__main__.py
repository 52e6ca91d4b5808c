"""tinycnn's command line: ``python -m tinycnn explore MODEL.npz --out DIR [--images 100]``.

explore   writes the explorer page (tinycnn/viz/explore.py) for a model file saved by
          ``model.save``, on the first test images of Fashion-MNIST (or MNIST, --dataset),
          scaled as the study scales them (pixel / 255). Any model tinycnn builds whose input
          is (28, 28, 1) and whose output is one score per class works; for other data, call
          ``tinycnn.viz.explore(model, images, labels, out=...)`` from Python.
"""

import argparse
import sys
import time

DATASETS = ("fashion_mnist", "mnist")


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m tinycnn",
                                     description="tinycnn's tools on the command line")
    commands = parser.add_subparsers(dest="command", required=True)
    explore = commands.add_parser(
        "explore", help="write the explorer page for a saved model",
        description="Write DIR/explorer.html: click inside MODEL's layers for test images, in "
                    "a browser, from disk (no server).")
    explore.add_argument("model", metavar="MODEL.npz", help="a file written by model.save")
    explore.add_argument("--out", required=True, metavar="DIR", help="the folder to write into")
    explore.add_argument("--images", type=int, default=100,
                         help="how many test images, the first ones (default 100)")
    explore.add_argument("--dataset", choices=DATASETS, default="fashion_mnist",
                         help="whose test images (default fashion_mnist)")
    explore.add_argument("--data-dir", default=None, help="where the data set's files are")
    explore.add_argument("--no-download", action="store_true",
                         help="never download the data set")
    return parser.parse_args(argv)


def run_explore(args):
    import matplotlib  # tinycnn.viz imports pyplot: no screen needed here

    matplotlib.use("Agg")
    import tinycnn
    from tinycnn import datasets
    from tinycnn.viz.explore import explore

    dataset = getattr(datasets, args.dataset)
    try:
        model = tinycnn.load_model(args.model)
    except (OSError, tinycnn.saving.ModelFileError) as error:
        raise SystemExit(f"explore: cannot read the model {args.model}: {error}") from None
    if tuple(model.input_shape) not in ((28, 28, 1), (28, 28)):
        raise SystemExit(f"explore: {args.model} takes images of shape {model.input_shape}; "
                         f"{args.dataset}'s test images are (28, 28, 1). For other images call "
                         "tinycnn.viz.explore(model, images, labels, out=...) from Python.")
    try:
        (_, _), (x_test, y_test) = dataset.load_data(args.data_dir,
                                                     download=not args.no_download)
    except datasets.DatasetError as error:
        raise SystemExit(f"explore: {error}") from None
    if not 1 <= args.images <= len(x_test):
        raise SystemExit(f"explore: --images must be between 1 and {len(x_test)}, got "
                         f"{args.images}")
    x = datasets.fashion_mnist.normalize_images(x_test[:args.images])
    started = time.perf_counter()
    class_names = getattr(dataset, "CLASS_NAMES", None)  # MNIST's classes are the digits
    page = explore(model, x.reshape(len(x), *model.input_shape), y_test[:args.images], args.out,
                   class_names=class_names)
    print(f"Wrote {page} ({page.stat().st_size / 1e6:.1f} MB, {args.images} images, "
          f"{time.perf_counter() - started:.1f} s): open it in a browser")


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.command == "explore":
        run_explore(args)


if __name__ == "__main__":
    main()
