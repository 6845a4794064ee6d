from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Evaluation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('citizen_id', fields.UUIDField(db_index=True)),
                ('subject_type', fields.CharField(max_length=12)),
                ('subject_ref', fields.CharField(max_length=32)),
                ('department_code', fields.CharField(db_index=True, max_length=48)),
                ('item_code', fields.CharField(null=True, max_length=19)),
                ('channel', fields.CharField(max_length=8)),
                ('overall', fields.SmallIntField()),
                ('efficiency', fields.SmallIntField()),
                ('guide_accuracy', fields.SmallIntField()),
                ('convenience', fields.SmallIntField()),
                ('ease_of_use', fields.SmallIntField()),
                ('comment', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'evaluation', 'app': 'evaluations', 'unique_together': (('subject_type', 'subject_ref'),), 'constraints': [CheckConstraint(check='overall BETWEEN 1 AND 5', name='evaluation_overall_1_5'), CheckConstraint(check='efficiency BETWEEN 1 AND 5', name='evaluation_efficiency_1_5'), CheckConstraint(check='guide_accuracy BETWEEN 1 AND 5', name='evaluation_guide_accuracy_1_5'), CheckConstraint(check='convenience BETWEEN 1 AND 5', name='evaluation_convenience_1_5'), CheckConstraint(check='ease_of_use BETWEEN 1 AND 5', name='evaluation_ease_of_use_1_5')], 'pk_attr': 'id', 'table_description': 'One rating of one used service. The unique key makes a second rating impossible.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Invitation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject_type', fields.CharField(max_length=12)),
                ('subject_ref', fields.CharField(max_length=32)),
                ('citizen_id', fields.UUIDField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'evaluation_invitation', 'app': 'evaluations', 'unique_together': (('subject_type', 'subject_ref'),), 'pk_attr': 'id', 'table_description': 'A rating invitation sent for a service left unrated for 3 days (sent once).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Rectification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('evaluation_id', fields.BigIntField(unique=True)),
                ('department_code', fields.CharField(db_index=True, max_length=48)),
                ('status', fields.CharField(db_index=True, max_length=8)),
                ('reply', fields.TextField(null=True, unique=False)),
                ('fix', fields.TextField(null=True, unique=False)),
                ('visit', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('replied_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('fixed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('visited_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'evaluation_rectification', 'app': 'evaluations', 'constraints': [CheckConstraint(check="status IN ('open', 'replied', 'fixed', 'visited')", name='evaluation_rectification_status')], 'pk_attr': 'id', 'table_description': "整改: a bad review's ticket. open → replied → fixed → visited (states.py)."},
            bases=['Model'],
        ),
        # CreateModel does not create CHECK constraints (tortoise 1.1); AddConstraint does.
        ops.AddConstraint(model_name='Evaluation', constraint=CheckConstraint(check='overall BETWEEN 1 AND 5', name='evaluation_overall_1_5')),
        ops.AddConstraint(model_name='Evaluation', constraint=CheckConstraint(check='efficiency BETWEEN 1 AND 5', name='evaluation_efficiency_1_5')),
        ops.AddConstraint(model_name='Evaluation', constraint=CheckConstraint(check='guide_accuracy BETWEEN 1 AND 5', name='evaluation_guide_accuracy_1_5')),
        ops.AddConstraint(model_name='Evaluation', constraint=CheckConstraint(check='convenience BETWEEN 1 AND 5', name='evaluation_convenience_1_5')),
        ops.AddConstraint(model_name='Evaluation', constraint=CheckConstraint(check='ease_of_use BETWEEN 1 AND 5', name='evaluation_ease_of_use_1_5')),
        ops.AddConstraint(model_name='Rectification', constraint=CheckConstraint(check="status IN ('open', 'replied', 'fixed', 'visited')", name='evaluation_rectification_status')),
    ]
