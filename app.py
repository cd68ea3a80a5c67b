"""GradLab's entry point: ``python app.py [FILE] [--preset NAME] [--screenshot PATH]``, or ``gradlab``."""

import sys

from ui.launch import main

if __name__ == "__main__":
    sys.exit(main())
