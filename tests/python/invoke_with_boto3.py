"""Invokes a local Lambda with boto3's own client and prints what boto3 read, as JSON lines.

usage: invoke_with_boto3.py ENDPOINT FUNCTION INVOCATION_TYPE PAYLOAD [INVOCATION_TYPE PAYLOAD ...]

An INVOCATION_TYPE ending in `+Tail` asks for the log's tail (LogType="Tail"); the line then
has it decoded as "Log".
"""
import base64
import json
import sys

import local_lambda


def main():
    endpoint, function, calls = sys.argv[1], sys.argv[2], sys.argv[3:]
    client = local_lambda.client(endpoint)
    for invocation_type, payload in zip(calls[::2], calls[1::2]):
        tail = invocation_type.endswith('+Tail')
        options = {'LogType': 'Tail'} if tail else {}
        try:
            response = client.invoke(
                FunctionName=function,
                InvocationType=invocation_type.removesuffix('+Tail'),
                Payload=payload.encode(),
                **options,
            )
        except client.exceptions.ClientError as error:
            print(json.dumps({'Error': error.response['Error']}), flush=True)
            continue
        body = response['Payload'].read()
        line = {
            'StatusCode': response['StatusCode'],
            'FunctionError': response.get('FunctionError'),
            'Payload': json.loads(body) if body else None,
        }
        if tail:
            line['RequestId'] = response['ResponseMetadata']['RequestId']
            line['Log'] = base64.b64decode(response['LogResult']).decode() if 'LogResult' in response else None
        print(json.dumps(line), flush=True)


if __name__ == '__main__':
    main()
