"""Shared fixtures.  Qt runs headless: the platform is set before anything imports Qt."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
