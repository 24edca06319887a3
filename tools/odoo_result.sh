# Sourced by tools/test.sh and tools/peer_test.sh: reads the outcome of an odoo-bin test run.
# odoo_result LOG RC — prints Odoo's summary line, sets odoo_total, odoo_failed (failures + errors)
# and odoo_ok (0 when the run exited 0, ran at least one test and none failed).
odoo_result() {
    local log=$1 rc=$2 summary failed errors
    summary=$(grep -E "[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests" "$log" | tail -1)
    echo "odoo: ${summary#*odoo.tests.result: }"
    read -r failed errors odoo_total < <(echo "$summary" | sed -E 's/.* ([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\1 \2 \3/')
    if [ -z "$summary" ] || [ "${odoo_total:-0}" -eq 0 ]; then
        echo "the Odoo run executed no test (log: $log)" >&2
        failed=0; errors=0; odoo_total=0; rc=1
    fi
    odoo_failed=$((failed + errors))
    odoo_ok=1
    [ "$rc" -eq 0 ] && [ "$odoo_failed" -eq 0 ] && odoo_ok=0
    return 0
}
