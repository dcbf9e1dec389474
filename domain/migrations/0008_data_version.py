from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('engagement', '0007_company_activity')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Community',
            name='data_version',
            field=fields.BigIntField(default=0, db_default=0),
        ),
    ]
