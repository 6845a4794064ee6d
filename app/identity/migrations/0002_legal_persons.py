from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('identity', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LegalPerson',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uscc', fields.CharField(unique=True, max_length=18)),
                ('name', fields.CharField(max_length=128)),
                ('status', fields.CharField(default='active', max_length=16)),
                ('representative_name_enc', fields.TextField(unique=False)),
                ('representative_name_masked', fields.CharField(max_length=32)),
                ('representative_id_number_enc', fields.TextField(unique=False)),
                ('representative_id_number_hash', fields.CharField(db_index=True, max_length=64)),
                ('representative_id_number_masked', fields.CharField(max_length=24)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('registry_agency_id', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('deregistered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'legal_person', 'app': 'identity', 'constraints': [CheckConstraint(check="status IN ('active', 'deregistered')", name='legal_person_status_known'), CheckConstraint(check="(status = 'deregistered') = (deregistered_at IS NOT NULL)", name='legal_person_deregistered_consistent')], 'pk_attr': 'id', 'table_description': 'A legal person (法人) as the market-regulation registry reported it, keyed by its USCC.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LegalPersonAgent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('legal_person', fields.ForeignKeyField('identity.LegalPerson', source_field='legal_person_id', db_constraint=True, to_field='id', related_name='agents', on_delete=OnDelete.RESTRICT)),
                ('agent_name_enc', fields.TextField(unique=False)),
                ('agent_name_masked', fields.CharField(max_length=32)),
                ('agent_id_number_hash', fields.CharField(db_index=True, max_length=64)),
                ('agent_id_number_masked', fields.CharField(max_length=24)),
                ('expires_on', fields.DateField(null=True)),
                ('granted_by_citizen_id', fields.UUIDField()),
                ('granted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_by_citizen_id', fields.UUIDField(null=True)),
                ('revoked_reason', fields.CharField(null=True, max_length=24)),
            ],
            options={'table': 'legal_person_agent', 'app': 'identity', 'constraints': [CheckConstraint(check='(revoked_at IS NULL) = (revoked_reason IS NULL)', name='legal_person_agent_revocation_complete')], 'pk_attr': 'id', 'table_description': 'An agent (经办人) the legal representative authorised to act for the legal person.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LegalPersonEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('legal_person_id', fields.BigIntField(db_index=True)),
                ('action', fields.CharField(max_length=24)),
                ('actor_type', fields.CharField(max_length=12)),
                ('actor_ref', fields.CharField(max_length=40)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'legal_person_event', 'app': 'identity', 'pk_attr': 'id', 'table_description': 'The audit trail of a legal person: registry changes and every grant and revocation.'},
            bases=['Model'],
        ),
        # CreateModel does not create CHECK constraints (tortoise 1.1); AddConstraint does.
        ops.AddConstraint(model_name='LegalPerson', constraint=CheckConstraint(check="status IN ('active', 'deregistered')", name='legal_person_status_known')),
        ops.AddConstraint(model_name='LegalPerson', constraint=CheckConstraint(check="(status = 'deregistered') = (deregistered_at IS NOT NULL)", name='legal_person_deregistered_consistent')),
        ops.AddConstraint(model_name='LegalPersonAgent', constraint=CheckConstraint(check='(revoked_at IS NULL) = (revoked_reason IS NULL)', name='legal_person_agent_revocation_complete')),
    ]
