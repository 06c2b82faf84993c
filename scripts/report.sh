#!/bin/sh
# make report: compare every results folder in results/ into results/report.md, with the old suite's
# published rows beside them and SVG charts in results/charts/.
#
# Variables: RESULTS (default: results beside this script), BIN_DIR (default: target/release).
# Folders without a runs.csv row (an aborted run, an empty folder) are skipped with a message;
# partial folders are included and marked "(partial)" by compare itself. The report and charts/
# are replaced together, only when compare succeeded; on a fault the old ones stay as they were.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=${RESULTS:-$ROOT/results}
BIN_DIR=${BIN_DIR:-$ROOT/target/release}
BIN=$BIN_DIR/bench-overhead
CHARTS=$RESULTS/charts
REPORT=$RESULTS/report.md

if [ ! -x "$BIN" ]; then
    echo "report: $BIN not found: run 'make build' first" >&2
    exit 1
fi
if [ ! -d "$RESULTS" ]; then
    echo "report: $RESULTS is not a folder: run 'make benchmark' first" >&2
    exit 1
fi

# The results folders, in name order (folder names start with host and UTC time).
set --
for dir in "$RESULTS"/*/; do
    [ -d "$dir" ] || continue
    dir=${dir%/}
    name=$(basename "$dir")
    case $name in
        reference | charts) continue ;;
    esac
    # make profile, record-scheduling and trace keep their output beside the suite's folders.
    if [ ! -f "$dir/meta.json" ] && [ ! -f "$dir/runs.csv" ]; then
        echo "report: skipped $dir: not a results folder of the suite (no meta.json or runs.csv)" >&2
        continue
    fi
    # A header and at least one row; `grep -c` also counts a last line without a newline.
    if [ ! -f "$dir/runs.csv" ] || [ "$(grep -c '[^[:space:]]' "$dir/runs.csv")" -lt 2 ]; then
        echo "report: skipped $dir: no runs.csv rows (an aborted run?)" >&2
        continue
    fi
    set -- "$@" "$dir"
done

# Everything is written beside the old report and charts, and swapped in only once all of it is
# there: a compare that fails leaves the old report.md with every chart it links.
TMP=$REPORT.tmp.$$
NEW_CHARTS=$RESULTS/.charts.new.$$
OLD_CHARTS=$RESULTS/.charts.old.$$
trap 'rm -rf "$TMP" "$TMP.tables" "$TMP.extended" "$NEW_CHARTS" "$OLD_CHARTS"' EXIT
trap 'exit 130' INT TERM

failed() {
    echo "report: $1 failed (see above): $REPORT and $CHARTS are unchanged" >&2
    exit 1
}
mkdir -p "$NEW_CHARTS"
"$BIN" compare --reference --chart "$NEW_CHARTS" "$@" > "$TMP.tables" || failed "compare --chart"
"$BIN" compare --reference --extended "$@" > "$TMP.extended" || failed "compare --extended"

{
    echo "# bench-overhead report"
    echo
    echo "Written by \`make report\` on $(date -u '+%Y-%m-%d %H:%M UTC') from $# results folder(s)"
    echo "and the old suite's published rows (\`results/reference/\`)."
    echo
    if [ $# -eq 0 ]; then
        echo "No results folder yet: \`make benchmark\` writes one into \`results/\`."
        echo
    fi
    for dir in "$@"; do
        name=$(basename "$dir")
        status=$(sed -n 's/.*"status"[[:space:]]*:[[:space:]]*"\([a-z]*\)".*/\1/p' "$dir/meta.json" 2>/dev/null | head -n 1)
        echo "- [\`$name\`]($name/)${status:+ ($status)}"
    done
    [ $# -eq 0 ] || echo
    echo "## Tables"
    echo
    echo "Columns as the old suite published them: job figures (socket creation, job setup, download)"
    echo "are pooled over every successful job of every run; run figures (run time, memory) cover the"
    echo "runs in which every job succeeded (every run when none did). Times in us (microseconds) and s,"
    echo "speeds in MiB/s, memory in MiB (anonymous PSS on Linux, the team's area RAM on Haiku)."
    echo
    cat "$TMP.tables"
    echo
    echo "## Extended figures"
    echo
    cat "$TMP.extended"
    echo
    echo "## Charts"
    echo
    # What the runs achieved first (aggregate throughput, run time), then per-job speed, memory per
    # setup and memory over time, each with a readable caption.
    for kind in aggregate run-time download memory memory-over-time; do
        for chart in "$NEW_CHARTS/$kind"-*.svg; do
            [ -f "$chart" ] || continue
            file=$(basename "$chart")
            name=${file#"$kind"-}
            name=${name%.svg}
            case $kind in
                aggregate) caption="Aggregate throughput per setup: $name" ;;
                run-time) caption="Run time per setup: $name" ;;
                download) caption="Per-job MiB/s (jobs start staggered) per setup: $name" ;;
                memory) case $name in over-time-*) continue ;; esac
                        caption="Average client memory per setup: $name" ;;
                memory-over-time) caption="Client memory over time: $name" ;;
            esac
            echo "![$caption](charts/$file)"
            echo
        done
    done
} > "$TMP"
# The charts, then the report that links them; the old charts go only when the new ones are in.
if [ -d "$CHARTS" ]; then
    mv "$CHARTS" "$OLD_CHARTS"
fi
if ! mv "$NEW_CHARTS" "$CHARTS"; then
    [ -d "$OLD_CHARTS" ] && mv "$OLD_CHARTS" "$CHARTS"
    failed "moving the new charts into place"
fi
mv "$TMP" "$REPORT"
count=$(find "$CHARTS" -name '*.svg' | wc -l)
echo "report: wrote $REPORT and $count chart(s) in $CHARTS" >&2
