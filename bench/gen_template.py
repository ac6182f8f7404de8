"""Write a SAM template with N resources to stdout, for bench/check.sh.

The mix follows a serverless stack: functions (SAM, with policies and API
events, each expanding to an execution role), buckets with policies,
tables, queues, topics, log groups, roles and security groups. About half
of the resources break some rule, so the run also measures reporting.
"""

import sys

KINDS = ["function", "bucket", "policy", "table", "queue", "topic", "logs", "role", "sg", "lambda"]


def resource(kind, i):
    bad = i % 2 == 0
    if kind == "function":
        return f"""  Fn{i}:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: {"nodejs16.x" if bad else "python3.13"}
      Handler: app.handler
      CodeUri: src/
      ReservedConcurrentExecutions: 5
      Environment:
        Variables:
          TABLE_NAME: !Ref Table{i + 3}
          {"DB_PASSWORD: hunter2-" + str(i) if bad else "STAGE: prod"}
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Table{i + 3}
        - Statement:
            - Effect: Allow
              Action: {"'*'" if bad else "s3:GetObject"}
              Resource: !Sub "arn:aws:s3:::bucket-{i}/*"
      Events:
        Get:
          Type: Api
          Properties:
            Path: /items/{i}
            Method: get
"""
    if kind == "bucket":
        enc = "" if bad else """      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: aws:kms}
"""
        return f"""  Bucket{i}:
    Type: AWS::S3::Bucket
    Properties:
{enc}      PublicAccessBlockConfiguration:
        BlockPublicAcls: {"false" if bad else "true"}
        IgnorePublicAcls: true
        BlockPublicPolicy: true
        RestrictPublicBuckets: true
      VersioningConfiguration: {{Status: Enabled}}
"""
    if kind == "policy":
        return f"""  BucketPolicy{i}:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket{i - 1}
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: s3:*
            Resource: !Sub "${{Bucket{i - 1}.Arn}}/*"
            Condition: {{Bool: {{aws:SecureTransport: false}}}}
"""
    if kind == "table":
        return f"""  Table{i}:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]
      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]
      PointInTimeRecoverySpecification: {{PointInTimeRecoveryEnabled: {"false" if bad else "true"}}}
"""
    if kind == "queue":
        return f"""  Queue{i}:
    Type: AWS::SQS::Queue
    Properties:
      SqsManagedSseEnabled: {"false" if bad else "true"}
"""
    if kind == "topic":
        return f"""  Topic{i}:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub "${{AWS::StackName}}-topic-{i}"
"""
    if kind == "logs":
        return f"""  Logs{i}:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 30
"""
    if kind == "role":
        return f"""  Role{i}:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {{Service: lambda.amazonaws.com}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: p{i}
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [dynamodb:PutItem, iam:PassRole]
                Resource: {"'*'" if bad else "!GetAtt Table" + str(i - 4) + ".Arn"}
"""
    if kind == "sg":
        return f"""  Sg{i}:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: sg {i}
      SecurityGroupIngress:
        - {{IpProtocol: tcp, FromPort: {22 if bad else 443}, ToPort: {22 if bad else 443}, CidrIp: 0.0.0.0/0}}
"""
    return f"""  Plain{i}:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Role: !GetAtt Role{i - 2}.Arn
      Code: {{S3Bucket: artifacts, S3Key: fn.zip}}
"""


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    out = ['AWSTemplateFormatVersion: "2010-09-09"',
           "Transform: AWS::Serverless-2016-10-31",
           f"Description: generated, {n} resources", "Resources:"]
    # Whole groups of ten, so that every Ref names a resource of the group.
    for i in range(n):
        out.append(resource(KINDS[i % len(KINDS)], i).rstrip("\n"))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
