using Weft.LoadGen;

// Control-plane load generator: see LoadGenOptions.Usage and bench/control/run.sh.
var options = LoadGenOptions.Parse(args, out var error);
if (error is not null)
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(LoadGenOptions.Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

using var http = new HttpClient { Timeout = options.PhaseTimeout };
var scenario = new Scenario(options, http, Console.Error);
var results = new List<SizeResult>();
foreach (var size in options.Sizes)
{
    results.Add(await scenario.RunAsync(size, cancel.Token).ConfigureAwait(false));
    // Print as we go: a later size may not finish.
    Console.Error.WriteLine(Report.Markdown(results));
}

Console.WriteLine(Report.Markdown(results));
return 0;
