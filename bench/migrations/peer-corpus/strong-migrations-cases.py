# Hand translation of ankane/strong_migrations' PostgreSQL test migrations (test/migrations/*.rb,
# verdicts from test/*_test.rb) into the SQL ActiveRecord's PostgreSQL adapter runs. Facts only.
# python3 bench/migrations/peer-corpus/strong-migrations-cases.py  → packages/migrations/test/peer-corpus/strong-migrations.json
import json
SRC = 'ankane/strong_migrations@c5461acb'
# test/support/active_record.rb: users(id bigserial, name varchar, city varchar, credit_score numeric(10,5),
# deleted_at timestamp(6), country varchar(20), interval varchar, description text, code citext, order_id bigint + index)
USERS = {
  'public.users.id': 'bigint', 'public.users.name': 'character varying', 'public.users.city': 'character varying',
  'public.users.credit_score': 'numeric(10,5)', 'public.users.deleted_at': 'timestamp(6) without time zone',
  'public.users.country': 'character varying(20)', 'public.users.interval': 'character varying',
  'public.users.description': 'text', 'public.users.code': 'citext', 'public.users.order_id': 'bigint',
}
CATALOG = {'columnTypes': USERS, 'notNullColumns': ['public.users.id', 'public.orders.id', 'public.devices.id']}
cases = []
def case(test, klass, rule, verdict, sql, tx=True, tz=None, version=15, new=None):
    c = {'id': f'strong_migrations/{test}', 'peer': 'strong_migrations',
         'source': f'{SRC}:test/{test.split("/")[0]}_test.rb#{test.split("/")[1]} ({klass})',
         'sql': sql.strip(), 'settings': {'serverVersion': version, 'transactional': tx}, 'peerRule': rule,
         'peerVerdict': verdict, 'catalog': CATALOG}
    if tz: c['settings']['timeZone'] = tz
    if new: c['newTables'] = new
    cases.append(c)
cc = 'change_column'
alter = lambda col, t: f'ALTER TABLE "users" ALTER COLUMN "{col}" TYPE {t}'
case('change_column/test_unsafe', 'ChangeColumn', cc, 'unsafe', alter('name', 'integer') + ' USING "name"::integer;')
case('change_column/test_varchar_to_text', 'ChangeColumnVarcharToText', cc, 'safe', alter('name', 'text') + ';')
case('change_column/test_varchar_to_citext', 'ChangeColumnVarcharToCitext', cc, 'safe', alter('name', 'citext') + ';')
case('change_column/test_varchar_increase_limit', 'ChangeColumnVarcharIncreaseLimit', cc, 'safe', alter('country', 'character varying(21)') + ';')
case('change_column/test_varchar_increase_limit_over_64', 'ChangeColumnVarcharIncreaseLimit64', cc, 'safe', alter('country', 'character varying(64)') + ';')
case('change_column/test_varchar_increase_limit_over_256', 'ChangeColumnVarcharIncreaseLimit256', cc, 'safe', alter('country', 'character varying(256)') + ';')
case('change_column/test_varchar_decrease_limit', 'ChangeColumnVarcharDecreaseLimit', cc, 'unsafe', alter('country', 'character varying(19)') + ';')
case('change_column/test_varchar_remove_limit', 'ChangeColumnVarcharRemoveLimit', cc, 'safe', alter('country', 'character varying') + ';')
case('change_column/test_text_to_varchar_limit', 'ChangeColumnTextToVarcharLimit', cc, 'unsafe', alter('description', 'character varying(20)') + ';')
case('change_column/test_text_to_varchar_no_limit', 'ChangeColumnTextToVarcharNoLimit', cc, 'safe', alter('description', 'character varying') + ';')
case('change_column/test_varchar_add_limit', 'ChangeColumnVarcharAddLimit', cc, 'unsafe', alter('country', 'character varying') + ';\n' + alter('country', 'character varying(20)') + ';')
case('change_column/test_text_to_citext', 'ChangeColumnTextToCitext', cc, 'safe', alter('description', 'citext') + ';')
case('change_column/test_text_to_citext_indexed', 'ChangeColumnTextToCitextIndexed', cc, 'unsafe', 'CREATE INDEX "index_users_on_description" ON "users" ("description");\n' + alter('description', 'citext') + ';')
case('change_column/test_text_to_citext_indexed_expression', 'ChangeColumnTextToCitextIndexedExpression', cc, 'unsafe', 'CREATE INDEX "index_users_on_lower_description" ON "users" (lower(description));\n' + alter('description', 'citext') + ';')
case('change_column/test_citext_to_text', 'ChangeColumnCitextToText', cc, 'safe', alter('code', 'text') + ';')
case('change_column/test_citext_to_text_indexed', 'ChangeColumnCitextToTextIndexed', cc, 'unsafe', 'CREATE INDEX "index_users_on_code" ON "users" ("code");\n' + alter('code', 'text') + ';')
case('change_column/test_citext_to_varchar_limit', 'ChangeColumnCitextToVarcharLimit', cc, 'unsafe', alter('code', 'character varying(20)') + ';')
case('change_column/test_citext_to_varchar_no_limit', 'ChangeColumnCitextToVarcharNoLimit', cc, 'safe', alter('code', 'character varying') + ';')
case('change_column/test_citext_to_varchar_no_limit_indexed', 'ChangeColumnCitextToVarcharNoLimitIndexed', cc, 'unsafe', 'CREATE INDEX "index_users_on_code" ON "users" ("code");\n' + alter('code', 'character varying') + ';')
case('change_column/test_decimal_decrease_precision', 'ChangeColumnDecimalDecreasePrecision', cc, 'unsafe', alter('credit_score', 'numeric(9,5)') + ';')
case('change_column/test_decimal_change_scale', 'ChangeColumnDecimalChangeScale', cc, 'unsafe', alter('credit_score', 'numeric(10,6)') + ';')
case('change_column/test_decimal_increase_precision', 'ChangeColumnDecimalIncreasePrecision', cc, 'safe', alter('credit_score', 'numeric(11,5)') + ';')
case('change_column/test_decimal_unconstrained', 'ChangeColumnDecimalUnconstrained', cc, 'safe', alter('credit_score', 'numeric') + ';')
case('change_column/test_timestamps', 'ChangeColumnTimestamps', cc, 'safe', alter('deleted_at', 'timestamp(6) with time zone') + ';', tz='UTC')
case('change_column/test_timestamps_non_utc', 'ChangeColumnTimestamps', cc, 'unsafe', alter('deleted_at', 'timestamp(6) with time zone') + ';', tz='America/Chicago')
joined = lambda add, to: f'ALTER TABLE "users" ADD "joined_at" {add};\n' + alter('joined_at', to) + ';'
case('change_column/test_datetime_increase_precision', 'ChangeColumnDatetimeIncreasePrecision', cc, 'safe', joined('timestamp(0)', 'timestamp(3)'))
case('change_column/test_datetime_decrease_precision', 'ChangeColumnDatetimeDecreasePrecision', cc, 'unsafe', joined('timestamp(6)', 'timestamp(3)'))
case('change_column/test_timestamp_increase_limit', 'ChangeColumnTimestampIncreaseLimit', cc, 'safe', joined('timestamp(0)', 'timestamp(3)'))
case('change_column/test_timestamp_decrease_limit', 'ChangeColumnTimestampDecreaseLimit', cc, 'unsafe', joined('timestamp', 'timestamp(3)'))
case('change_column/test_timestamptz_increase_limit', 'ChangeColumnTimestamptzIncreaseLimit', cc, 'safe', joined('timestamptz(0)', 'timestamptz(3)'))
case('change_column/test_timestamptz_decrease_limit', 'ChangeColumnTimestamptzDecreaseLimit', cc, 'unsafe', joined('timestamptz', 'timestamptz(3)'))
opens = lambda add, to: f'ALTER TABLE "users" ADD "opens_at" {add};\n' + alter('opens_at', to) + ';'
case('change_column/test_time_increase_precision', 'ChangeColumnTimeIncreasePrecision', cc, 'safe', opens('time(0)', 'time(3)'))
case('change_column/test_time_decrease_precision', 'ChangeColumnTimeDecreasePrecision', cc, 'unsafe', opens('time', 'time(3)'))
dur = lambda add, to: f'ALTER TABLE "users" ADD "duration" {add};\n' + alter('duration', to) + ';'
case('change_column/test_interval_increase_precision', 'ChangeColumnIntervalIncreasePrecision', cc, 'safe', dur('interval(0)', 'interval(3)'))
case('change_column/test_interval_decrease_precision', 'ChangeColumnIntervalDecreasePrecision', cc, 'unsafe', dur('interval', 'interval(3)'))
ip = lambda add, to: f'ALTER TABLE "users" ADD "ip" {add};\n' + alter('ip', to) + ';'
case('change_column/test_cidr_to_inet', 'ChangeColumnCidrToInet', cc, 'safe', ip('cidr', 'inet'))
case('change_column/test_inet_to_cidr', 'ChangeColumnInetToCidr', cc, 'unsafe', ip('inet', 'cidr'))
# add_column (PostgreSQL ≥ 11)
acd = 'add_column_default'
case('add_column/test_default', 'AddColumnDefault', acd, 'safe', 'ALTER TABLE "users" ADD "nice" boolean DEFAULT TRUE;')
case('add_column/test_default_null', 'AddColumnDefaultNull', acd, 'safe', 'ALTER TABLE "users" ADD "nice" boolean DEFAULT NULL;')
case('add_column/test_default_not_null', 'AddColumnDefaultNotNull', acd, 'unsafe', 'ALTER TABLE "users" ADD "nice" uuid DEFAULT gen_random_uuid() NOT NULL;')
case('add_column/test_default_safe', 'AddColumnDefaultSafe', acd, 'safe', 'ALTER TABLE "users" ADD "nice" boolean;\nALTER TABLE "users" ALTER COLUMN "nice" SET DEFAULT FALSE;')
case('add_column/test_default_callable', 'AddColumnDefaultCallable', acd, 'unsafe', 'ALTER TABLE "users" ADD "nice" timestamp(6) DEFAULT clock_timestamp();')
case('add_column/test_default_uuid', 'AddColumnDefaultUUID', acd, 'unsafe', 'ALTER TABLE "users" ADD "nice" uuid DEFAULT gen_random_uuid();')
case('add_column/test_default_uuid_safe', 'AddColumnDefaultUUIDSafe', acd, 'safe', 'ALTER TABLE "users" ADD "nice" uuid;\nALTER TABLE "users" ALTER COLUMN "nice" SET DEFAULT gen_random_uuid();')
case('add_column/test_json', 'AddColumnJson', 'add_column_json', 'unsafe', 'ALTER TABLE "users" ADD "properties" json;')
case('add_column/test_generated_stored', 'AddColumnGeneratedStored', 'add_column_generated_stored', 'unsafe', 'ALTER TABLE "users" ADD "nice" character varying GENERATED ALWAYS AS (LOWER(city)) STORED;')
case('add_column/test_primary_key', 'AddColumnPrimaryKey', 'add_column_auto_incrementing', 'unsafe', 'ALTER TABLE "users" ADD "nice" bigserial primary key;')
case('add_column/test_serial', 'AddColumnSerial', 'add_column_auto_incrementing', 'unsafe', 'ALTER TABLE "users" ADD "nice" serial;')
case('add_column/test_bigserial', 'AddColumnBigserial', 'add_column_auto_incrementing', 'unsafe', 'ALTER TABLE "users" ADD "nice" bigserial;')
# change_column_null
ccn = 'change_column_null'
chk = 'ALTER TABLE "users" ADD CONSTRAINT "test" CHECK ("name" IS NOT NULL) NOT VALID;\n'
val = 'ALTER TABLE "users" VALIDATE CONSTRAINT "test";\n'
case('change_column_null/test_basic', 'ChangeColumnNull', ccn, 'unsafe', 'ALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL;')
case('change_column_null/test_constraint', 'ChangeColumnNullConstraint', ccn, 'safe', chk + val + 'ALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL;\nALTER TABLE "users" DROP CONSTRAINT "test";')
case('change_column_null/test_constraint_unvalidated', 'ChangeColumnNullConstraintUnvalidated', ccn, 'unsafe', chk + 'ALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL;\nALTER TABLE "users" DROP CONSTRAINT "test";')
case('change_column_null/test_constraint_default', 'ChangeColumnNullConstraintDefault', ccn, 'unsafe', chk + val + 'UPDATE "users" SET "name"=\'Andy\' WHERE "name" IS NULL;\nALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL;\nALTER TABLE "users" DROP CONSTRAINT "test";')
case('change_column_null/test_default', 'ChangeColumnNullDefault', ccn, 'unsafe', 'UPDATE "users" SET "name"=\'Andy\' WHERE "name" IS NULL;\nALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL;')
case('change_column_null/test_constraint_methods', 'ChangeColumnNullConstraintMethods', ccn, 'safe', chk + val + 'ALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL;\nALTER TABLE "users" DROP CONSTRAINT "test";', tx=False)
case('change_column_null/test_quoted', 'ChangeColumnNullQuoted', ccn, 'safe', chk.replace('"name"', '"interval"') + val + 'ALTER TABLE "users" ALTER COLUMN "interval" SET NOT NULL;\nALTER TABLE "users" DROP CONSTRAINT "test";')
# add_index / remove_index
case('add_index/test_non_concurrently', 'AddIndex', 'add_index', 'unsafe', 'CREATE INDEX "index_users_on_name" ON "users" ("name");')
case('add_index/test_new_table', 'AddIndexNewTable', 'add_index', 'safe', 'CREATE TABLE "new_users" ("id" bigserial primary key, "name" character varying);\nCREATE INDEX "index_new_users_on_name" ON "new_users" ("name");')
case('add_index/test_concurrently', 'AddIndexConcurrently', 'add_index', 'safe', 'CREATE INDEX CONCURRENTLY "index_users_on_name" ON "users" ("name");', tx=False)
case('add_index/test_columns', 'AddIndexColumns', 'add_index_columns', 'unsafe', 'CREATE INDEX CONCURRENTLY "index_users_on_name_and_city_and_country_and_interval" ON "users" ("name", "city", "country", "interval");', tx=False)
case('add_index/test_columns_unique', 'AddIndexColumnsUnique', 'add_index_columns', 'safe', 'CREATE UNIQUE INDEX CONCURRENTLY "index_users_on_name_and_city_and_country_and_interval" ON "users" ("name", "city", "country", "interval");', tx=False)
case('remove_index/test_concurrently', 'RemoveIndex', 'remove_index', 'unsafe', 'DROP INDEX "index_users_on_name";')
case('remove_index/test_concurrently_safe', 'RemoveIndex (algorithm: :concurrently)', 'remove_index', 'safe', 'DROP INDEX CONCURRENTLY "index_users_on_name";', tx=False)
# foreign keys
afk = 'add_foreign_key'
fk = 'ALTER TABLE "users" ADD CONSTRAINT "fk_rails_c1e9b98e31" FOREIGN KEY ("order_id") REFERENCES "orders" ("id")'
case('add_foreign_key/test_basic', 'AddForeignKey', afk, 'unsafe', fk + ';')
case('add_foreign_key/test_safe', 'AddForeignKeySafe', afk, 'safe', fk + ' NOT VALID;')
case('add_foreign_key/test_validate_same_transaction', 'AddForeignKeyValidateSameTransaction', afk, 'unsafe', fk + ' NOT VALID;\nALTER TABLE "users" VALIDATE CONSTRAINT "fk_rails_c1e9b98e31";')
case('add_foreign_key/test_validate_no_transaction', 'AddForeignKeyValidateNoTransaction', afk, 'safe', fk + ' NOT VALID;\nALTER TABLE "users" VALIDATE CONSTRAINT "fk_rails_c1e9b98e31";', tx=False)
# check constraints
acc = 'add_check_constraint'
ck = 'ALTER TABLE "users" ADD CONSTRAINT "chk_rails_c4d4a1a3ed" CHECK (credit_score > 0)'
case('add_check_constraint/test_basic', 'AddCheckConstraint', acc, 'unsafe', ck + ';')
case('add_check_constraint/test_safe', 'AddCheckConstraintSafe', acc, 'safe', ck + ' NOT VALID;')
case('add_check_constraint/test_validate_same_transaction', 'AddCheckConstraintValidateSameTransaction', acc, 'unsafe', 'ALTER TABLE "users" ADD CONSTRAINT "credit_check" CHECK (credit_score > 0) NOT VALID;\nALTER TABLE "users" VALIDATE CONSTRAINT "credit_check";')
case('add_check_constraint/test_validate_no_transaction', 'AddCheckConstraintValidateNoTransaction', acc, 'safe', 'ALTER TABLE "users" ADD CONSTRAINT "credit_check" CHECK (credit_score > 0) NOT VALID;\nALTER TABLE "users" VALIDATE CONSTRAINT "credit_check";', tx=False)
case('add_check_constraint/test_new_table', 'AddCheckConstraintNewTable', acc, 'safe', 'CREATE TABLE "new_users" ("id" bigserial primary key, "name" character varying);\nALTER TABLE "new_users" ADD CONSTRAINT "chk_rails_1" CHECK (name IS NOT NULL);')
case('add_check_constraint/test_name', 'AddCheckConstraintName', acc, 'unsafe', 'ALTER TABLE "users" ADD CONSTRAINT "credit_check" CHECK (credit_score > 0);')
# add_reference (Rails: ADD column, then CREATE INDEX; foreign_key: true adds the FK)
ar = 'add_reference'
case('add_reference/test_basic', 'AddReference', ar, 'unsafe', 'ALTER TABLE "users" ADD "device_id" bigint;\nCREATE INDEX "index_users_on_device_id" ON "users" ("device_id");')
case('add_reference/test_polymorphic', 'AddReferencePolymorphic', ar, 'unsafe', 'ALTER TABLE "users" ADD "device_type" character varying, ADD "device_id" bigint;\nCREATE INDEX "index_users_on_device" ON "users" ("device_type", "device_id");')
case('add_reference/test_no_index', 'AddReferenceNoIndex', ar, 'safe', 'ALTER TABLE "users" ADD "country_id" bigint;')
case('add_reference/test_default', 'AddReferenceDefault', ar, 'unsafe', 'ALTER TABLE "users" ADD "ip_id" bigint;\nCREATE INDEX "index_users_on_ip_id" ON "users" ("ip_id");')
case('add_reference/test_concurrently', 'AddReferenceConcurrently', ar, 'safe', 'ALTER TABLE "users" ADD "ip_id" bigint;\nCREATE INDEX CONCURRENTLY "index_users_on_ip_id" ON "users" ("ip_id");', tx=False)
case('add_reference/test_foreign_key', 'AddReferenceForeignKey', 'add_reference_foreign_key', 'unsafe', 'ALTER TABLE "users" ADD "device_id" bigint, ADD CONSTRAINT "fk_rails_1" FOREIGN KEY ("device_id") REFERENCES "devices" ("id");')
case('add_reference/test_foreign_key_validate_false', 'AddReferenceForeignKeyValidateFalse', 'add_reference_foreign_key', 'safe', 'ALTER TABLE "users" ADD "device_id" bigint, ADD CONSTRAINT "fk_rails_1" FOREIGN KEY ("device_id") REFERENCES "devices" ("id") NOT VALID;')
case('add_reference/test_add_belongs_to', 'AddBelongsTo', ar, 'unsafe', 'ALTER TABLE "users" ADD "device_id" bigint;\nCREATE INDEX "index_users_on_device_id" ON "users" ("device_id");')
# unique / exclusion constraints
case('add_unique_constraint/test_basic', 'AddUniqueConstraint', 'add_unique_constraint', 'unsafe', 'ALTER TABLE "users" ADD CONSTRAINT "uniq_name" UNIQUE ("name");')
case('add_unique_constraint/test_using_index', 'AddUniqueConstraintUsingIndex', 'add_unique_constraint', 'safe', 'CREATE UNIQUE INDEX CONCURRENTLY "index_users_on_name" ON "users" ("name");\nALTER TABLE "users" ADD CONSTRAINT "uniq_name" UNIQUE USING INDEX "index_users_on_name";', tx=False)
case('add_unique_constraint/test_new_table', 'AddUniqueConstraintNewTable', 'add_unique_constraint', 'safe', 'CREATE TABLE "new_users" ("id" bigserial primary key, "name" character varying);\nALTER TABLE "new_users" ADD CONSTRAINT "uniq_name" UNIQUE ("name");')
case('add_exclusion_constraint/test_basic', 'AddExclusionConstraint', 'add_exclusion_constraint', 'unsafe', 'ALTER TABLE "users" ADD CONSTRAINT "excl_credit" EXCLUDE USING gist ("credit_score" WITH =);')
case('add_exclusion_constraint/test_new_table', 'AddExclusionConstraintNewTable', 'add_exclusion_constraint', 'safe', 'CREATE TABLE "new_users" ("id" bigserial primary key, "credit_score" numeric);\nALTER TABLE "new_users" ADD CONSTRAINT "excl_credit" EXCLUDE USING gist ("credit_score" WITH =);')
# remove_column / rename / misc
rc = 'remove_column'
case('remove_column/test_remove_column', 'RemoveColumn', rc, 'unsafe', 'ALTER TABLE "users" DROP COLUMN "name";')
case('remove_column/test_remove_columns', 'RemoveColumns', rc, 'unsafe', 'ALTER TABLE "users" DROP COLUMN "name", DROP COLUMN "other";')
case('remove_column/test_remove_timestamps', 'RemoveTimestamps', rc, 'unsafe', 'ALTER TABLE "users" DROP COLUMN "created_at", DROP COLUMN "updated_at";')
case('remove_column/test_remove_reference', 'RemoveReference', rc, 'unsafe', 'ALTER TABLE "users" DROP COLUMN "order_id";')
case('misc/test_rename_column', 'RenameColumn', 'rename_column', 'unsafe', 'ALTER TABLE "users" RENAME COLUMN "properties" TO "bad_name";')
case('misc/test_rename_table', 'RenameTable', 'rename_table', 'unsafe', 'ALTER TABLE "users" RENAME TO "bad_name";')
case('misc/test_create_table_force', 'CreateTableForce', 'create_table', 'unsafe', 'DROP TABLE IF EXISTS "admins" CASCADE;\nCREATE TABLE "admins" ("id" bigserial primary key);')
case('misc/test_execute_arbitrary_sql', 'ExecuteArbitrarySQL', 'execute', 'unsafe', 'SELECT CURRENT_TIMESTAMP;')
json.dump(cases, open('packages/migrations/test/peer-corpus/strong-migrations.json', 'w'), indent=2)
print(len(cases), 'strong_migrations cases')
