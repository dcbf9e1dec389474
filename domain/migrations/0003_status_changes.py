from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('engagement', '0002_jobs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CompanyStatusChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community', fields.ForeignKeyField('engagement.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='company_status_changes', on_delete=OnDelete.CASCADE)),
                ('company', fields.ForeignKeyField('engagement.Company', source_field='company_id', db_constraint=True, to_field='id', related_name='status_changes', on_delete=OnDelete.CASCADE)),
                ('effective_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('is_customer', fields.BooleanField()),
                ('status', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'company_status_change', 'app': 'engagement', 'indexes': [Index(fields=['company_id', 'effective_at'])], 'pk_attr': 'id', 'table_description': "A company's CRM status from ``effective_at`` on, as imported."},
            bases=['Model'],
        ),
    ]
