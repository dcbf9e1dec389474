from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.models import GroupKey
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('engagement', '0003_status_changes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MessageReceipt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('message_id', fields.CharField(max_length=255)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'message_receipt', 'app': 'engagement', 'unique_together': (('community_id', 'message_id'),), 'pk_attr': 'id', 'table_description': 'An ingested message that left no row of its own, kept to ignore a resend.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Community',
            name='event_kinds',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Community',
            name='group_key',
            field=fields.CharEnumField(default=GroupKey.CRM_ID, description='COMPANY_ID: company_id\nCRM_ID: crm_id\nDOMAIN: domain', enum_type=GroupKey, max_length=16),
        ),
    ]
