using Ledger.Api.Tests.Infrastructure;
using Xunit;

// One PostgreSQL server for the whole assembly; test classes take PostgresServer in their constructor.
[assembly: AssemblyFixture(typeof(PostgresServer))]
