using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Http;

/// <summary>The approval helper itself: what it scrubs, what it keeps, and that a mismatch fails and leaves a received file.</summary>
public sealed class ApprovalsTests
{
    [Fact]
    public void Scrubs_guids_and_instants_numbering_equal_values_alike()
    {
        const string json = """
            {"a":"0199a3b2-7c1d-7e2f-8a3b-4c5d6e7f8091","b":"key_0199a3b27c1d7e2f8a3b4c5d6e7f8091","c":"0199A3B2-7C1D-7E2F-8A3B-4C5D6E7F8091",
             "d":"2025-11-23T09:01:02.1234567+00:00","e":"2025-11-23T09:01:02.1234567+00:00","f":"2025-11-23T10:00:00Z",
             "g":"g-welcome","h":42,"k":"plan:20251123T090102","l":"20251123T090102Z","i":"not-a-guid-0199a3b2","j":["2024-01-01T00:00:00Z","11111111-2222-3333-4444-555555555555"],
             "id-like key 0199a3b2-7c1d-7e2f-8a3b-4c5d6e7f8091":null}
            """;
        var scrubbed = Approvals.Scrub(json);

        scrubbed.ShouldContain("\"a\": \"Guid_1\"");
        scrubbed.ShouldContain("\"b\": \"key_Guid_1\"");
        scrubbed.ShouldContain("\"c\": \"Guid_1\"");
        scrubbed.ShouldContain("\"d\": \"DateTimeOffset_1\"");
        scrubbed.ShouldContain("\"e\": \"DateTimeOffset_1\"");
        scrubbed.ShouldContain("\"f\": \"DateTimeOffset_2\"");
        scrubbed.ShouldContain("\"g\": \"g-welcome\"");
        scrubbed.ShouldContain("\"h\": 42");
        scrubbed.ShouldContain("\"k\": \"plan:DateTimeOffset_3\"");
        scrubbed.ShouldContain("\"l\": \"DateTimeOffset_4\"");
        scrubbed.ShouldContain("\"i\": \"not-a-guid-0199a3b2\"");
        scrubbed.ShouldContain("\"DateTimeOffset_5\"");
        scrubbed.ShouldContain("\"Guid_2\"");
        scrubbed.ShouldNotContain("2025");
        scrubbed.ShouldEndWith("}\n");
    }

    [Fact]
    public void A_mismatch_fails_and_writes_the_received_file_a_match_removes_it()
    {
        var directory = Directory.CreateTempSubdirectory("approvals-");
        try
        {
            var source = Path.Combine(directory.FullName, "Sample.cs");
            var verified = Path.Combine(directory.FullName, "Sample.shape.verified.json");
            var received = Path.Combine(directory.FullName, "Sample.shape.received.json");

            Should.Throw<Exception>(() => Approvals.Verify("""{"x":1}""", "shape", source));
            File.Exists(received).ShouldBeTrue();
            File.ReadAllText(received).ShouldBe("{\n  \"x\": 1\n}\n");

            File.Move(received, verified);
            Approvals.Verify("""{"x":1}""", "shape", source);
            File.Exists(received).ShouldBeFalse();

            Should.Throw<Exception>(() => Approvals.Verify("""{"x":2}""", "shape", source)).Message.ShouldContain("\"x\": 2");
            File.ReadAllText(received).ShouldContain("\"x\": 2");
            File.ReadAllText(verified).ShouldContain("\"x\": 1");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
