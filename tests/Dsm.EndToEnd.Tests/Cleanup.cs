namespace Dsm.EndToEnd.Tests;

/// <summary>After the run, no dsm process the tests started survives, whatever failed.</summary>
[SetUpFixture]
public class Cleanup
{
    [OneTimeTearDown]
    public void KillLeftovers() => DsmProcess.KillAll();
}
