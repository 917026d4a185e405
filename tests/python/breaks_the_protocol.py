"""A runtime that breaks the Runtime API's protocol once in each way a server must notice: it
takes one invocation, answers it with an error type outside Lambda's pattern, reports an init
error after `/next`, asks for a path the API does not serve, and uses the wrong method on
`/next`. The status of each goes, as a JSON object, to the file named by STATUS_FILE; then it
waits on `/next` until it is stopped."""
import json
import os
import urllib.error
import urllib.request

API = 'http://{}/2018-06-01/runtime'.format(os.environ['AWS_LAMBDA_RUNTIME_API'])


def status(path, method='POST', data=b'{}', headers=None):
    request = urllib.request.Request(API + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as reply:
            reply.read()
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


with urllib.request.urlopen(API + '/invocation/next') as reply:
    request_id = reply.headers['Lambda-Runtime-Aws-Request-Id']
    reply.read()
statuses = {
    'bad_error_type': status('/invocation/{}/error'.format(request_id),
                             headers={'Lambda-Runtime-Function-Error-Type': 'Function.E'}),
    'init_error_after_next': status('/init/error',
                                    headers={'Lambda-Runtime-Function-Error-Type': 'Runtime.Late'}),
    'unknown_path': status('/invocation/{}/unknown'.format(request_id)),
    'post_next': status('/invocation/next'),
}
partial = os.environ['STATUS_FILE'] + '.partial'
with open(partial, 'w') as out:
    json.dump(statuses, out)
os.replace(partial, os.environ['STATUS_FILE'])
urllib.request.urlopen(API + '/invocation/next').read()
