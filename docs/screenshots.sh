#!/usr/bin/env bash
# Pictures of the app, made with its own slide options (run from the project folder):
#
#   docs/screenshots.sh            all of them
#   docs/screenshots.sh projector  docs/pictures/projector-WxH-THEME.png: presentation mode on the two common
#                                  projector sizes, 1280×720 and 1024×768, in the light and the dark theme
#   docs/screenshots.sh readme     the README's pictures (docs/screenshot.png, docs/classroom-*.png and one per
#                                  panel: docs/watch-b-jacobian.png, docs/train-classifier.png, docs/your-turn.png)
#
# PYTHON picks the interpreter (default .venv/bin/python); no display is needed (Qt draws off screen).
set -euo pipefail
python=${PYTHON:-.venv/bin/python}
which=${1:-all}
case "$which" in all|projector|readme) ;; *) echo "usage: $0 [all|projector|readme]" >&2; exit 2 ;; esac

if [[ $which == all || $which == projector ]]; then
    mkdir -p docs/pictures
    for size in 1280x720 1024x768; do
        for theme in light dark; do
            "$python" app.py --screenshot "docs/pictures/projector-$size-$theme.png" --presentation --size "$size" \
                --theme "$theme"
        done
    done
fi

if [[ $which == all || $which == readme ]]; then
    "$python" app.py --screenshot docs/screenshot.png --select 'w1[0,3]' --size 1440x900  # the whole sheet in view
    for theme in light dark; do
        "$python" app.py --screenshot "docs/classroom-$theme-step1.png" --size 1920x1080 --presentation --theme "$theme" \
            --step 1
        "$python" app.py --screenshot "docs/classroom-$theme-last.png" --size 1920x1080 --presentation --theme "$theme" \
            --step 4 --select 'x[1,0]'
    done
    # the panels, each at a size where what its caption promises is in view
    "$python" app.py --screenshot docs/watch-b-jacobian.png --size 1280x1024 --preset lesson --select 'l1[0,2]' --tab local
    "$python" app.py --screenshot docs/train-classifier.png --size 1600x1200 --preset classifier --train 60 --lr 0.5 \
        --tab train
    "$python" app.py --screenshot docs/your-turn.png --size 1600x1200 --preset lesson --answers docs/examples/mine.txt \
        --tab your-turn
fi
