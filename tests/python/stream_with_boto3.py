"""Invokes a local Lambda with boto3's invoke_with_response_stream and prints, as one JSON
line per invocation, what boto3 read: each PayloadChunk (text) with the seconds since the call
when it arrived, then the InvokeComplete event (its LogResult decoded).

usage: stream_with_boto3.py ENDPOINT FUNCTION PAYLOAD [PAYLOAD ...]
"""
import base64
import json
import sys
import time

import local_lambda


def main():
    endpoint, function, payloads = sys.argv[1], sys.argv[2], sys.argv[3:]
    client = local_lambda.client(endpoint)
    for payload in payloads:
        started = time.monotonic()
        response = client.invoke_with_response_stream(
            FunctionName=function, Payload=payload.encode(), LogType='Tail'
        )
        chunks, complete = [], None
        for event in response['EventStream']:
            if 'PayloadChunk' in event:
                text = event['PayloadChunk']['Payload'].decode()
                chunks.append([round(time.monotonic() - started, 3), text])
            elif 'InvokeComplete' in event:
                complete = dict(event['InvokeComplete'])
                if 'LogResult' in complete:
                    complete['LogResult'] = base64.b64decode(complete['LogResult']).decode()
        print(json.dumps({
            'StatusCode': response['StatusCode'],
            'Chunks': chunks,
            'InvokeComplete': complete,
        }))


if __name__ == '__main__':
    main()
