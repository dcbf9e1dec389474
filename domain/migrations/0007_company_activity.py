"""Each company's months with page views as bits, and the rollups' version.

Communities start at version 0, so ``migrate_database`` rebuilds their rollups.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [('engagement', '0006_rollup_shapes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CompanyActivity',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('company_id', fields.BigIntField()),
                ('span', fields.IntField()),
                ('months', fields.BigIntField(default=0)),
            ],
            options={'table': 'company_activity', 'app': 'engagement', 'unique_together': (('company_id', 'span'),), 'indexes': [Index(fields=['community_id', 'span'])], 'pk_attr': 'id', 'table_description': 'The months in which a company had attributed page views, as bits.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Community',
            name='rollups_version',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
