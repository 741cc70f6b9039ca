global using Ledger.Domain.Accounts;
global using Ledger.Domain.Credits;
global using Ledger.Domain.Refunds;
global using Ledger.Domain.Reservations;
global using Ledger.Domain.Usage;
global using Shouldly;
global using Xunit;
global using static Ledger.Domain.Tests.Facts;
global using static Ledger.Domain.Tests.Specification;
