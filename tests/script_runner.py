"""Running exported scripts as their own programs, many in one interpreter: each in a fresh namespace with
``runpy``, as ``python script.py`` would, but paying for the interpreter (and for importing torch) once."""

import ast
import subprocess
import sys
from pathlib import Path

RUNNER = r"""
import contextlib, io, json, runpy, sys, traceback
results = {}
for path in sys.argv[1:]:
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(path, run_name="__main__")
        results[path] = {"stdout": out.getvalue()}
    except BaseException:
        results[path] = {"error": traceback.format_exc()}
print(json.dumps(results))
"""


def printed(stdout: str) -> dict:
    """What a script printed, ``{"loss": …, "x.g": […], …}``: one ``name = value`` a line."""
    result = {}
    for line in stdout.splitlines():
        name, _, value = line.partition(" = ")
        result[name] = ast.literal_eval(value)
    return result


def run_scripts(folder: Path, scripts: dict) -> dict:
    """Run every script of ``scripts`` (key → source) in one interpreter; key → what it printed.
    A script that fails makes its key's value the traceback text."""
    import json

    paths = {}
    for n, (key, text) in enumerate(scripts.items()):
        paths[key] = folder / f"script_{n}.py"
        paths[key].write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", RUNNER, *map(str, paths.values())], capture_output=True, text=True,
                          timeout=300, cwd=folder)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.splitlines()[-1])
    return {key: printed(results[str(path)]["stdout"]) if "stdout" in results[str(path)] else results[str(path)]["error"]
            for key, path in paths.items()}
