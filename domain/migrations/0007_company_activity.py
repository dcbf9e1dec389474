"""Each company's months with page views as bits, for the monthly figures."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


async def mark_viewed_months(apps, schema_editor):
    """Set the bits of every company-month that has page views already."""
    from domain.rebuild import mark_all_company_months

    await mark_all_company_months(schema_editor.client)


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
        ops.RunPython(mark_viewed_months),
    ]
