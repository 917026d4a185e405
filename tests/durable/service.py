"""The emulator's durable-execution API as boto3 calls it: what a caller gets when it starts,
names, follows, completes and stops executions, and the errors it gets for what Lambda
refuses (error codes as the API model lists them for each operation).

usage: service.py BINARY EMULATOR; prints one JSON object of what each call answered.
"""

import json
import sys
import time

from botocore.exceptions import ClientError

from dex import follow, lambda_client, serve, serve_on


def main() -> int:
    binary = sys.argv[1]
    report = {}

    # A synchronous invoke of a durable function answers the execution's result, and names
    # the execution it started.
    function, client = serve_on(binary, "step_1_1", "emulator")
    try:
        answer = client.invoke(FunctionName="function", Payload=json.dumps("World").encode())
        report["sync"] = {
            "payload": json.loads(answer["Payload"].read()),
            "arn": answer.get("DurableExecutionArn"),
            "function_error": answer.get("FunctionError"),
        }
        report["sync"]["status"] = client.get_durable_execution(
            DurableExecutionArn=report["sync"]["arn"])["Status"]
        # The binary's other handlers are functions beside it, by name.
        other = client.invoke(FunctionName="invoke_target_echo", Payload=json.dumps("Grace").encode())
        report["other_function"] = json.loads(other["Payload"].read())
        report["unknown_function"] = error_of(lambda: client.invoke(FunctionName="no_such_function"))
    finally:
        function.stop()

    # `lambda-emulator --durable` around the same binary is the same service.
    function = serve(None, "step_1_1", None, command=[
        sys.argv[2], "--port", "0", "--durable", "--handler", "step_1_1", "--", binary])
    try:
        answer = lambda_client(function.endpoint).invoke(
            FunctionName="function", Payload=json.dumps("Ada").encode())
        report["emulator"] = {"payload": json.loads(answer["Payload"].read()),
                              "named": "DurableExecutionArn" in answer}
    finally:
        function.stop()

    function, client = serve_on(binary, "callback_4_2", "emulator")
    try:
        named = [client.invoke(FunctionName="function", InvocationType="Event",
                               DurableExecutionName="order-7", Payload=b"{}")
                 for _ in range(2)]
        report["named"] = [n["DurableExecutionArn"] for n in named]
        arn = named[0]["DurableExecutionArn"]
        callback_id = wait_for(client, arn, lambda events: next(
            (e["CallbackStartedDetails"]["CallbackId"] for e in events
             if e["EventType"] == "CallbackStarted"), None))
        report["stale_token"] = error_of(lambda: client.checkpoint_durable_execution(
            DurableExecutionArn=arn, CheckpointToken="a token from another invocation", Updates=[]))
        report["unknown_execution"] = error_of(lambda: client.get_durable_execution(
            DurableExecutionArn=arn + "-other"))
        report["unknown_callback"] = error_of(lambda: client.send_durable_execution_callback_success(
            CallbackId="no-such-callback", Result=b"1"))
        client.send_durable_execution_callback_heartbeat(CallbackId=callback_id)
        report["running"] = client.get_durable_execution(DurableExecutionArn=arn)["Status"]
        client.stop_durable_execution(DurableExecutionArn=arn, Error={
            "ErrorType": "Cancelled", "ErrorMessage": "the customer cancelled"})
        stopped = client.get_durable_execution(DurableExecutionArn=arn)
        report["stopped"] = {"status": stopped["Status"], "error": stopped.get("Error"),
                             "last_event": follow(client, arn)[-1]["EventType"]}
        report["callback_after_stop"] = error_of(lambda: client.send_durable_execution_callback_success(
            CallbackId=callback_id, Result=b"1"))
        report["heartbeat_after_stop"] = error_of(lambda: client.send_durable_execution_callback_heartbeat(
            CallbackId=callback_id))
        listed = lambda **filters: [  # noqa: E731
            (e["DurableExecutionName"], e["Status"]) for e in client.list_durable_executions_by_function(
                FunctionName="function", **filters)["DurableExecutions"]]
        report["listed"] = {"all": listed(), "stopped": listed(Statuses=["STOPPED", "FAILED"]),
                            "succeeded": listed(Statuses=["SUCCEEDED"]),
                            "by_name": listed(DurableExecutionName="order-7")}
        newest = client.get_durable_execution_history(DurableExecutionArn=arn, ReverseOrder=True, MaxItems=1)
        report["newest_first"] = [e["EventType"] for e in newest["Events"]]
        pages = client.get_durable_execution_history(DurableExecutionArn=arn, MaxItems=2)
        report["first_page"] = {"events": [e["EventId"] for e in pages["Events"]],
                                "next": pages.get("NextMarker") is not None,
                                "truncated": pages["Events"][0]["ExecutionStartedDetails"]["Input"]}
    finally:
        function.stop()
    print(json.dumps(report, default=str))
    return 0


def error_of(call):
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"]
    return None


def wait_for(client, arn, found, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := found(follow(client, arn))) is not None:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"the execution did not get there in {timeout} s")


if __name__ == "__main__":
    sys.exit(main())
