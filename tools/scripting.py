"""What the measuring scripts (bench.py, measure_push_latency.py, screenshots.py) share."""

import socket
import subprocess
import sys


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_template_database(copies, template, odoo_src, addons, label):
    """Fresh databases ``copies``, each a copy of ``template``: a database with the addon installed,
    created the first time and updated to this checkout's code every time (about a minute)."""
    installed = subprocess.run(
        ["psql", "-d", template, "-tAc",
         "SELECT 1 FROM ir_module_module WHERE name='epicentr_connector' AND state='installed'"],
        capture_output=True, text=True).stdout.strip() == "1"
    if not installed:
        subprocess.run(["dropdb", "--if-exists", template], check=True)
    print(f"{label}: {'updating' if installed else 'creating'} database {template} with the addon", flush=True)
    subprocess.run([sys.executable, f"{odoo_src}/odoo-bin", f"--addons-path={addons}", "-d", template,
                    "-u" if installed else "-i", "epicentr_connector", "--without-demo=all", "--stop-after-init",
                    "--max-cron-threads=0", "--log-level=warn", "--http-port", str(free_port())], check=True)
    for name in copies:
        subprocess.run(["dropdb", "--if-exists", name], check=True)
        subprocess.run(["createdb", "-T", template, name], check=True)
