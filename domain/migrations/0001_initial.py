from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.models import ContributionKind, CrmSource, LinkSource, Role
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Community',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('timezone', fields.CharField(default='UTC', max_length=64)),
                ('lurker_threshold', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'community', 'app': 'engagement', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiKey',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community', fields.ForeignKeyField('engagement.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='api_keys', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='VIEWER: viewer\nINTEGRATION: integration\nADMIN: admin', enum_type=Role, max_length=16)),
                ('name', fields.CharField(default='', max_length=200)),
                ('prefix', fields.CharField(max_length=16)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_key', 'app': 'engagement', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CommunityDayRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('day', fields.DateField()),
                ('page_views', fields.IntField(default=0)),
                ('anonymous_page_views', fields.IntField(default=0)),
            ],
            options={'table': 'community_day_rollup', 'app': 'engagement', 'unique_together': (('community_id', 'day'),), 'pk_attr': 'id', 'table_description': 'Every page view of a community on one local day, anonymous ones too.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Company',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community', fields.ForeignKeyField('engagement.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='companies', on_delete=OnDelete.CASCADE)),
                ('crm_source', fields.CharEnumField(description='SALESFORCE: salesforce\nCSV: csv\nMANUAL: manual', enum_type=CrmSource, max_length=16)),
                ('crm_id', fields.CharField(max_length=64)),
                ('name', fields.CharField(max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'company', 'app': 'engagement', 'unique_together': (('community', 'crm_source', 'crm_id'),), 'indexes': [Index(fields=['community_id', 'name'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CompanyDomain',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community', fields.ForeignKeyField('engagement.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='company_domains', on_delete=OnDelete.CASCADE)),
                ('company', fields.ForeignKeyField('engagement.Company', source_field='company_id', db_constraint=True, to_field='id', related_name='domains', on_delete=OnDelete.CASCADE)),
                ('domain', fields.CharField(max_length=255)),
            ],
            options={'table': 'company_domain', 'app': 'engagement', 'unique_together': (('company', 'domain'),), 'indexes': [Index(fields=['community_id', 'domain'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CompanyMonthRollup',
            fields=[
                ('page_views', fields.IntField(default=0)),
                ('topics', fields.IntField(default=0)),
                ('replies', fields.IntField(default=0)),
                ('reactions', fields.IntField(default=0)),
                ('solutions', fields.IntField(default=0)),
                ('ideas', fields.IntField(default=0)),
                ('last_view_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('company_id', fields.BigIntField()),
                ('month', fields.DateField()),
                ('visitors', fields.IntField(default=0)),
            ],
            options={'table': 'company_month_rollup', 'app': 'engagement', 'unique_together': (('company_id', 'month'),), 'indexes': [Index(fields=['community_id', 'month'])], 'pk_attr': 'id', 'table_description': "A company's attributed activity in one local month."},
            bases=['_ActivityCounts'],
        ),
        ops.CreateModel(
            name='Contribution',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('member_id', fields.BigIntField()),
                ('kind', fields.CharEnumField(description='TOPIC: topic\nREPLY: reply\nREACTION: reaction\nSOLUTION: solution\nIDEA: idea', enum_type=ContributionKind, max_length=16)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('message_id', fields.CharField(max_length=255)),
            ],
            options={'table': 'contribution', 'app': 'engagement', 'unique_together': (('community_id', 'message_id'),), 'indexes': [Index(fields=['member_id', 'occurred_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomerPeriod',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community', fields.ForeignKeyField('engagement.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='customer_periods', on_delete=OnDelete.CASCADE)),
                ('company', fields.ForeignKeyField('engagement.Company', source_field='company_id', db_constraint=True, to_field='id', related_name='customer_periods', on_delete=OnDelete.CASCADE)),
                ('starts_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'customer_period', 'app': 'engagement', 'indexes': [Index(fields=['community_id', 'company_id'])], 'pk_attr': 'id', 'table_description': 'A stretch ``[starts_at, ends_at)`` in which a company was a customer.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Member',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community', fields.ForeignKeyField('engagement.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('external_id', fields.CharField(max_length=255)),
                ('email', fields.CharField(null=True, max_length=320)),
                ('company', fields.ForeignKeyField('engagement.Company', source_field='company_id', null=True, db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.SET_NULL)),
                ('link_source', fields.CharEnumField(null=True, description='MANUAL: manual\nCRM_CONTACT: crm_contact\nEMAIL_DOMAIN: email_domain', enum_type=LinkSource, max_length=16)),
                ('linked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('link_version', fields.IntField(default=0)),
                ('attributed_version', fields.IntField(default=0)),
                ('traits', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'member', 'app': 'engagement', 'unique_together': (('community', 'external_id'),), 'indexes': [Index(fields=['community_id', 'company_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberDayRollup',
            fields=[
                ('page_views', fields.IntField(default=0)),
                ('topics', fields.IntField(default=0)),
                ('replies', fields.IntField(default=0)),
                ('reactions', fields.IntField(default=0)),
                ('solutions', fields.IntField(default=0)),
                ('ideas', fields.IntField(default=0)),
                ('last_view_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('member_id', fields.BigIntField()),
                ('company_id', fields.BigIntField(null=True)),
                ('day', fields.DateField()),
            ],
            options={'table': 'member_day_rollup', 'app': 'engagement', 'unique_together': (('member_id', 'day'),), 'indexes': [Index(fields=['community_id', 'day'])], 'pk_attr': 'id', 'table_description': "One member's activity on one local day, credited to ``company_id``."},
            bases=['_ActivityCounts'],
        ),
        ops.CreateModel(
            name='MemberMonthRollup',
            fields=[
                ('page_views', fields.IntField(default=0)),
                ('topics', fields.IntField(default=0)),
                ('replies', fields.IntField(default=0)),
                ('reactions', fields.IntField(default=0)),
                ('solutions', fields.IntField(default=0)),
                ('ideas', fields.IntField(default=0)),
                ('last_view_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('member_id', fields.BigIntField()),
                ('company_id', fields.BigIntField(null=True)),
                ('month', fields.DateField()),
            ],
            options={'table': 'member_month_rollup', 'app': 'engagement', 'unique_together': (('member_id', 'month'),), 'indexes': [Index(fields=['community_id', 'month']), Index(fields=['company_id', 'month'])], 'pk_attr': 'id', 'table_description': "One member's activity in one local month, credited to ``company_id``."},
            bases=['_ActivityCounts'],
        ),
        ops.CreateModel(
            name='PageView',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('member_id', fields.BigIntField(null=True)),
                ('anonymous_id', fields.CharField(null=True, max_length=255)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('path', fields.CharField(max_length=2048)),
                ('title', fields.CharField(null=True, max_length=1024)),
                ('url', fields.CharField(null=True, max_length=4096)),
                ('message_id', fields.CharField(max_length=255)),
            ],
            options={'table': 'page_view', 'app': 'engagement', 'unique_together': (('community_id', 'message_id'),), 'indexes': [Index(fields=['member_id', 'occurred_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
