using System.Reflection;

namespace Ledger.Domain.Tests.Accounts;

/// <summary>Every refusal carries a kind that is a client error: nothing a decision refuses can become a server error.</summary>
public class RejectionCodeTests
{
    [Fact]
    public void Every_code_is_listed_once_with_a_client_error_kind()
    {
        var declared = typeof(RejectionCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(RejectionCode)).Select(f => (RejectionCode)f.GetValue(null)!).ToList();

        RejectionCodes.All.ShouldBe(declared, ignoreOrder: true);
        RejectionCodes.All.Select(c => c.Name).ShouldBeUnique();
        RejectionCodes.All.ShouldAllBe(c => Enum.IsDefined(c.Kind) && (int)c.Kind >= 400 && (int)c.Kind < 500);
        RejectionCodes.All.ShouldAllBe(c => System.Text.RegularExpressions.Regex.IsMatch(c.Name, "^[a-z]+(-[a-z]+)*$"));
    }
}
