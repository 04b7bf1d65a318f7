using Stowage.Server.Hosting;

try
{
    var app = StowageServer.Build(args);
    await StowageServer.PrepareAsync(app, CancellationToken.None);
    await app.RunAsync();
    return 0;
}
catch (InvalidOperationException e)
{
    await Console.Error.WriteLineAsync("stowage: " + e.Message);
    return 2;
}
