#!/usr/bin/env bash
# The README's pictures, made with the app's own slide options (run from the project folder).
set -euo pipefail
gradlab=${GRADLAB:-.venv/bin/gradlab}
"$gradlab" --screenshot docs/screenshot.png --select 'w1[0,3]'
for theme in light dark; do
    "$gradlab" --screenshot "docs/classroom-$theme-step1.png" --size 1920x1080 --presentation --theme "$theme" --step 1
    "$gradlab" --screenshot "docs/classroom-$theme-last.png" --size 1920x1080 --presentation --theme "$theme" --step 4 \
        --select 'x[1,0]'
done
