"""The seed's handler as a Python Lambda function, to run under awslambdaric."""


def my_handler(event, context):
    message = 'Hello {} {}!'.format(event['first_name'], event['last_name'])
    return {'message': message}
