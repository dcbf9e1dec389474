from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.models import SalesforceAuth
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('engagement', '0004_ingestion')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SalesforceAccount',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('company', fields.ForeignKeyField('engagement.Company', source_field='company_id', db_constraint=True, to_field='id', related_name='salesforce_accounts', on_delete=OnDelete.CASCADE)),
                ('account_id', fields.CharField(max_length=18)),
                ('is_deleted', fields.BooleanField(default=False)),
                ('master_record_id', fields.CharField(null=True, max_length=18)),
                ('status', fields.TextField(null=True, unique=False)),
                ('modstamp', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'salesforce_account', 'app': 'engagement', 'unique_together': (('community_id', 'account_id'),), 'pk_attr': 'id', 'table_description': 'What the sync last saw of an Account, beside the company it became.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SalesforceConnection',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community', fields.OneToOneField('engagement.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='salesforce_connection', on_delete=OnDelete.CASCADE)),
                ('auth', fields.CharEnumField(description='PASSWORD: password\nJWT: jwt\nSESSION: session', enum_type=SalesforceAuth, max_length=16)),
                ('domain', fields.CharField(default='login', max_length=128)),
                ('instance_url', fields.CharField(null=True, max_length=255)),
                ('username', fields.CharField(null=True, max_length=255)),
                ('consumer_key', fields.CharField(null=True, max_length=255)),
                ('secrets', fields.TextField(unique=False)),
                ('ca_bundle', fields.TextField(null=True, unique=False)),
                ('api_version', fields.CharField(default='59.0', max_length=8)),
                ('status_field', fields.CharField(default='Type', max_length=80)),
                ('customer_values', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('customer_since_field', fields.CharField(null=True, max_length=80)),
                ('churn_date_field', fields.CharField(null=True, max_length=80)),
                ('domain_field', fields.CharField(null=True, default='Website', max_length=80)),
                ('extra_filter', fields.TextField(null=True, unique=False)),
                ('link_by_email_domain', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'salesforce_connection', 'app': 'engagement', 'pk_attr': 'id', 'table_description': "A community's Salesforce org: how to log in, and what its fields mean."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SalesforceContact',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('contact_id', fields.CharField(max_length=18)),
                ('account_id', fields.CharField(null=True, max_length=18)),
                ('email', fields.CharField(null=True, max_length=320)),
                ('is_deleted', fields.BooleanField(default=False)),
                ('modstamp', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'salesforce_contact', 'app': 'engagement', 'unique_together': (('community_id', 'contact_id'),), 'indexes': [Index(fields=['community_id', 'email'])], 'pk_attr': 'id', 'table_description': "A Contact's e-mail and account, lowercased, for linking members."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SalesforceSyncState',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community', fields.OneToOneField('engagement.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='salesforce_sync_state', on_delete=OnDelete.CASCADE)),
                ('accounts_modstamp', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('accounts_last_id', fields.CharField(null=True, max_length=18)),
                ('contacts_modstamp', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('contacts_last_id', fields.CharField(null=True, max_length=18)),
                ('reconciled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('lease_token', fields.CharField(null=True, max_length=32)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_run_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'salesforce_sync_state', 'app': 'engagement', 'pk_attr': 'id', 'table_description': "Where a community's Salesforce sync got to, and who is running it."},
            bases=['Model'],
        ),
    ]
