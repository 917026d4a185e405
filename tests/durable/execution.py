"""One durable execution of a handler, run to its end, on AWS's local durable service
(SERVICE `dex`) or on our emulator itself (SERVICE `emulator`, with `--serve`'s ARGS, such as
`--skip-time`).

usage: execution.py SERVICE BINARY HANDLER INPUT_JSON [ARGS...]; prints one JSON object: the
execution's status, result and error, the events of its history (type, subtype, name), and
the history itself (each event's time in seconds since the epoch).
"""

import json
import sys
import time

from dex import follow, serve_on as serve, start


def main() -> int:
    service, binary, handler, payload = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    function, client = serve(binary, handler, service, sys.argv[5:])
    try:
        arn = start(function, client, payload, handler)
        deadline = time.monotonic() + 60
        while (execution := client.get_durable_execution(DurableExecutionArn=arn))["Status"] == "RUNNING":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{handler} still running after 60 s:\n{function.output()}")
            time.sleep(0.05)
        events = follow(client, arn)
        print(json.dumps({
            "status": execution["Status"],
            "result": json.loads(execution["Result"]) if execution.get("Result") else None,
            "error": execution.get("Error"),
            "events": [[e["EventType"], e.get("SubType"), e.get("Name")] for e in events],
            "history": [dict(e, EventTimestamp=e["EventTimestamp"].timestamp()) for e in events],
        }, default=str))
        return 0
    finally:
        function.stop()


if __name__ == "__main__":
    sys.exit(main())
