"""Rollups shaped for ranges: day columns, day and month bits, one credit per member.

The three rollup tables are derived data: they are dropped and created in
their new shape; ``migrate_database`` then rebuilds them from the raw activity
(the communities' ``rollups_version`` is behind, see domain/rebuild.py).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [('engagement', '0005_salesforce')]

    initial = False

    operations = [
        ops.DeleteModel(name='MemberDayRollup'),
        ops.DeleteModel(name='MemberMonthRollup'),
        ops.DeleteModel(name='CompanyMonthRollup'),
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
                ('day', fields.DateField()),
            ],
            options={'table': 'member_day_rollup', 'app': 'engagement', 'unique_together': (('member_id', 'day'),), 'indexes': [Index(fields=['community_id', 'day'])], 'pk_attr': 'id', 'table_description': "One member's activity on one local day."},
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
                ('month', fields.DateField()),
                ('view_days', fields.BigIntField(default=0)),
            ],
            options={'table': 'member_month_rollup', 'app': 'engagement', 'unique_together': (('member_id', 'month'),), 'indexes': [Index(fields=['community_id', 'month'])], 'pk_attr': 'id', 'table_description': "One member's activity in one local month."},
            bases=['_ActivityCounts'],
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
                ('views_d01', fields.IntField(default=0)),
                ('views_d02', fields.IntField(default=0)),
                ('views_d03', fields.IntField(default=0)),
                ('views_d04', fields.IntField(default=0)),
                ('views_d05', fields.IntField(default=0)),
                ('views_d06', fields.IntField(default=0)),
                ('views_d07', fields.IntField(default=0)),
                ('views_d08', fields.IntField(default=0)),
                ('views_d09', fields.IntField(default=0)),
                ('views_d10', fields.IntField(default=0)),
                ('views_d11', fields.IntField(default=0)),
                ('views_d12', fields.IntField(default=0)),
                ('views_d13', fields.IntField(default=0)),
                ('views_d14', fields.IntField(default=0)),
                ('views_d15', fields.IntField(default=0)),
                ('views_d16', fields.IntField(default=0)),
                ('views_d17', fields.IntField(default=0)),
                ('views_d18', fields.IntField(default=0)),
                ('views_d19', fields.IntField(default=0)),
                ('views_d20', fields.IntField(default=0)),
                ('views_d21', fields.IntField(default=0)),
                ('views_d22', fields.IntField(default=0)),
                ('views_d23', fields.IntField(default=0)),
                ('views_d24', fields.IntField(default=0)),
                ('views_d25', fields.IntField(default=0)),
                ('views_d26', fields.IntField(default=0)),
                ('views_d27', fields.IntField(default=0)),
                ('views_d28', fields.IntField(default=0)),
                ('views_d29', fields.IntField(default=0)),
                ('views_d30', fields.IntField(default=0)),
                ('views_d31', fields.IntField(default=0)),
            ],
            options={'table': 'company_month_rollup', 'app': 'engagement', 'unique_together': (('company_id', 'month'),), 'indexes': [Index(fields=['community_id', 'month'])], 'pk_attr': 'id', 'table_description': "A company's attributed activity in one local month, and its days' views."},
            bases=['_ActivityCounts'],
        ),
        ops.CreateModel(
            name='CompanyDayContributions',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('company_id', fields.BigIntField()),
                ('day', fields.DateField()),
                ('topics', fields.IntField(default=0)),
                ('replies', fields.IntField(default=0)),
                ('reactions', fields.IntField(default=0)),
                ('solutions', fields.IntField(default=0)),
                ('ideas', fields.IntField(default=0)),
            ],
            options={'table': 'company_day_contributions', 'app': 'engagement', 'unique_together': (('company_id', 'day'),), 'pk_attr': 'id', 'table_description': "A company's attributed contributions on one local day, where it had any."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberActivity',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('member_id', fields.BigIntField()),
                ('span', fields.IntField()),
                ('months', fields.BigIntField(default=0)),
                ('company_id', fields.BigIntField(null=True)),
            ],
            options={'table': 'member_activity', 'app': 'engagement', 'unique_together': (('member_id', 'span'),), 'indexes': [Index(fields=['community_id', 'span', 'company_id', 'months'])], 'pk_attr': 'id', 'table_description': 'The months in which a member viewed a page, as bits, for distinct counts.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Member',
            name='attributed_company_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddIndex(
            model_name='Member',
            index=Index(fields=['attributed_company_id']),
        ),
    ]
