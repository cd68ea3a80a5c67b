"""``python -m gradlab check …``."""

import sys

from gradlab.cli import main

if __name__ == "__main__":
    if sys.argv[1:2] != ["check"]:
        print("usage: python -m gradlab check (FILE | --preset NAME) [options]", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[2:]))
