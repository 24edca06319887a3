"""python -m epicentr_sandbox --port 8070 --orders 300 --seed 1 --token T [--days 75] [--live]"""
import argparse
import contextlib
import time

from . import Sandbox

LIVE_INTERVAL = 20  # seconds between two platform events in --live mode
# What Epicentr's call centre writes in an order's thread now and then in --live mode.
CALL_CENTRE_NOTES = ("Покупець просить уточнити термін доставки", "Покупець просить передзвонити після 18:00",
                     "Покупець просить надіслати фото товару")


def comment_random_order(store):
    """The call centre writes in the thread of an order the seller is working on."""
    with store.lock:
        open_ids = sorted(oid for oid, o in store.orders.items() if o["statusCode"] in ("confirmed_by_merchant", "confirmed"))
        if open_ids:
            store.platform_add_comment(store.factory.rng.choice(open_ids), store.factory.rng.choice(CALL_CENTRE_NOTES))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m epicentr_sandbox",
                                     description="Serve the Epicentr Merchant API sandbox.")
    parser.add_argument("--port", type=int, default=0, help="0 (default) picks a free port")
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--token", default="sandbox-token")
    parser.add_argument("--days", type=int, default=75, help="history depth of the orders")
    parser.add_argument("--live", action="store_true",
                        help=f"every {LIVE_INTERVAL} s add an order, move a random one along and comment on another")
    parser.add_argument("--quiet", action="store_true", help="no access log")
    parser.add_argument("--latency-ms", type=float, default=0,
                        help="every answer waits this long, as a live Epicentr far away (default 0)")
    args = parser.parse_args(argv)

    sandbox = Sandbox(orders=args.orders, seed=args.seed, token=args.token, days=args.days,
                      port=args.port, log_requests=not args.quiet).start()
    sandbox.set_latency(args.latency_ms)
    # pylint: disable-next=print-used  # a command-line tool: this line is for the person who started it
    print(f"Epicentr sandbox: {sandbox.url} ({len(sandbox.store.orders)} orders"
          f"{', live' if args.live else ''}); Ctrl-C stops it", flush=True)
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the way to stop it
            while True:
                time.sleep(LIVE_INTERVAL if args.live else 3600)
                if args.live:
                    sandbox.store.add_order()
                    sandbox.store.advance_random_order()
                    comment_random_order(sandbox.store)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
