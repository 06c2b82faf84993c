#!/bin/sh
# report.sh [report|compare] — every results folder in results/, compared.
#
#   report   (make report) into results/report.md, with the old suite's published rows beside
#            them and SVG charts in results/charts/
#   compare  (make compare) `bench-overhead compare --reference --extended` of them, to stdout:
#            what `bench-overhead compare results/*/ --reference --extended` means, without the
#            folders in results/ that are no suite runs
#
# Variables: RESULTS (default: results beside this script), BIN_DIR (default: target/release).
# Only folders of suite runs are compared: results/charts/, results/reference/ (compare's
# --reference adds those rows), the output of profile, record-scheduling and trace (no meta.json,
# no runs.csv), and folders without a runs.csv row (an aborted run) are skipped with a note each.
# Partial folders are included and marked "(partial)" by compare itself. The report and charts/
# are replaced together, only when compare succeeded; on a fault the old ones stay as they were.
set -eu
MODE=${1:-report}
case $MODE in
    report | compare) ;;
    *) echo "usage: report.sh [report|compare]" >&2; exit 2 ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=${RESULTS:-$ROOT/results}
BIN_DIR=${BIN_DIR:-$ROOT/target/release}
BIN=$BIN_DIR/bench-overhead
CHARTS=$RESULTS/charts
REPORT=$RESULTS/report.md

if [ ! -x "$BIN" ]; then
    echo "$MODE: $BIN not found: run 'make build' first" >&2
    exit 1
fi
if [ ! -d "$RESULTS" ]; then
    echo "$MODE: $RESULTS is not a folder: run 'make benchmark' first" >&2
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
        echo "$MODE: skipped $dir: not a results folder of the suite (no meta.json or runs.csv)" >&2
        continue
    fi
    # A header and at least one row; `grep -c` also counts a last line without a newline.
    if [ ! -f "$dir/runs.csv" ] || [ "$(grep -c '[^[:space:]]' "$dir/runs.csv")" -lt 2 ]; then
        echo "$MODE: skipped $dir: no runs.csv rows (an aborted run?)" >&2
        continue
    fi
    set -- "$@" "$dir"
done

if [ "$MODE" = compare ]; then
    exec "$BIN" compare --reference --extended "$@"
fi

# The new charts go straight into charts/ (so compare names the folder they stay in) once the old
# ones are set aside; a compare that fails, or a signal, puts the old ones back beside the old
# report.md that links them, and they go only when the new report is in place.
TMP=$REPORT.tmp.$$
OLD_CHARTS=$RESULTS/.charts.old.$$
restore_charts() {
    if [ -d "$OLD_CHARTS" ]; then
        rm -rf "$CHARTS"
        mv "$OLD_CHARTS" "$CHARTS"
    fi
}
trap 'rm -f "$TMP" "$TMP.tables" "$TMP.extended"; restore_charts' EXIT
trap 'exit 130' INT TERM

failed() {
    echo "report: $1 failed (see above): $REPORT and $CHARTS are unchanged" >&2
    exit 1
}
if [ -d "$CHARTS" ]; then
    mv "$CHARTS" "$OLD_CHARTS"
fi
mkdir -p "$CHARTS"
"$BIN" compare --reference --chart "$CHARTS" "$@" > "$TMP.tables" || failed "compare --chart"
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
        for chart in "$CHARTS/$kind"-*.svg; do
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
mv "$TMP" "$REPORT"
rm -rf "$OLD_CHARTS"
echo "report: wrote $REPORT" >&2
