from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('agency', '0001_initial'), ('identity', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Driver',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('licence_no_enc', fields.TextField(unique=False)),
                ('licence_no_hash', fields.CharField(unique=True, max_length=64)),
                ('licence_no_masked', fields.CharField(max_length=24)),
                ('file_no_hash', fields.CharField(max_length=64)),
                ('agency', fields.ForeignKeyField('agency.Agency', source_field='agency_id', db_constraint=True, to_field='id', related_name='drivers', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'violation_driver', 'app': 'violations', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DriverAccess',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('citizen', fields.ForeignKeyField('identity.Citizen', source_field='citizen_id', db_constraint=True, to_field='id', related_name='driver_accesses', on_delete=OnDelete.CASCADE)),
                ('driver', fields.ForeignKeyField('violations.Driver', source_field='driver_id', db_constraint=True, to_field='id', related_name='accesses', on_delete=OnDelete.CASCADE)),
                ('proven_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'violation_driver_access', 'app': 'violations', 'unique_together': (('citizen', 'driver'),), 'pk_attr': 'id', 'table_description': 'A citizen proved they hold this driving licence (licence number + file number).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Vehicle',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plate_type', fields.CharField(max_length=2)),
                ('plate_no', fields.CharField(max_length=16)),
                ('vin_enc', fields.TextField(unique=False)),
                ('vin_hash', fields.CharField(db_index=True, max_length=64)),
                ('vin_tail_hash', fields.CharField(max_length=64)),
                ('vin_masked', fields.CharField(max_length=17)),
                ('agency', fields.ForeignKeyField('agency.Agency', source_field='agency_id', db_constraint=True, to_field='id', related_name='vehicles', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'violation_vehicle', 'app': 'violations', 'unique_together': (('plate_type', 'plate_no'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VehicleAccess',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('citizen', fields.ForeignKeyField('identity.Citizen', source_field='citizen_id', db_constraint=True, to_field='id', related_name='vehicle_accesses', on_delete=OnDelete.CASCADE)),
                ('vehicle', fields.ForeignKeyField('violations.Vehicle', source_field='vehicle_id', db_constraint=True, to_field='id', related_name='accesses', on_delete=OnDelete.CASCADE)),
                ('account_id', fields.BigIntField()),
                ('channel', fields.CharField(max_length=8)),
                ('bound', fields.BooleanField(default=False)),
                ('proven_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('bound_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'violation_vehicle_access', 'app': 'violations', 'unique_together': (('citizen', 'vehicle'),), 'pk_attr': 'id', 'table_description': 'A citizen proved they own this vehicle, and bound puts it among my vehicles.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Violation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('violation_id', fields.CharField(unique=True, max_length=64)),
                ('agency', fields.ForeignKeyField('agency.Agency', source_field='agency_id', db_constraint=True, to_field='id', related_name='violations', on_delete=OnDelete.RESTRICT)),
                ('vehicle', fields.ForeignKeyField('violations.Vehicle', source_field='vehicle_id', db_constraint=True, to_field='id', related_name='violations', on_delete=OnDelete.RESTRICT)),
                ('driver', fields.ForeignKeyField('violations.Driver', source_field='driver_id', null=True, db_constraint=True, to_field='id', related_name='violations', on_delete=OnDelete.RESTRICT)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('place', fields.CharField(max_length=256)),
                ('behavior', fields.CharField(max_length=256)),
                ('points', fields.SmallIntField()),
                ('fine_fen', fields.BigIntField()),
                ('decision_no', fields.CharField(null=True, unique=True, max_length=32)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('handling_status', fields.CharField(default='undecided', max_length=16)),
                ('payment_status', fields.CharField(default='unpaid', max_length=16)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('paid_via', fields.CharField(null=True, max_length=8)),
                ('order_id', fields.BigIntField(null=True)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'violation', 'app': 'violations', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        # CreateModel does not create CHECK constraints (tortoise 1.1); AddConstraint does.
        ops.AddConstraint(model_name='Violation', constraint=CheckConstraint(check='fine_fen >= 0', name='violation_fine_not_negative')),
        ops.AddConstraint(model_name='Violation', constraint=CheckConstraint(check='points BETWEEN 0 AND 12', name='violation_points_range')),
        ops.AddConstraint(model_name='Violation', constraint=CheckConstraint(check="(handling_status = 'undecided' AND decision_no IS NULL) OR (handling_status = 'decided' AND decision_no IS NOT NULL AND decided_at IS NOT NULL)", name='violation_decision_consistent')),
        ops.AddConstraint(model_name='Violation', constraint=CheckConstraint(check="(payment_status = 'unpaid' AND paid_at IS NULL) OR (payment_status = 'paid' AND paid_at IS NOT NULL AND handling_status = 'decided')", name='violation_payment_consistent')),
    ]
