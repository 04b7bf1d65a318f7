using System.Diagnostics;
using System.Text.Json;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Stowage.Console.Tests;

/// <summary>
/// Debian's Chromium, headless, driven through Debian's chromedriver (nothing downloads a browser), with a
/// fresh profile per run and every background service that could reach the internet switched off.
/// </summary>
public sealed class Browser : IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(45);
    private readonly string _profile;
    private readonly string _shots;
    private int _shotSeq;

    public Browser(string baseUrl)
    {
        BaseUrl = baseUrl.TrimEnd('/');
        _profile = Directory.CreateTempSubdirectory("stowage-chromium-").FullName;
        _shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(_shots);
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,900", "--user-data-dir=" + _profile);
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    public ChromeDriver Driver { get; }

    public string BaseUrl { get; }

    public string ShotsDir => _shots;

    public void Go(string hash)
    {
        Driver.Navigate().GoToUrl(BaseUrl + "/console/" + hash);
    }

    public IWebElement Find(string css) => Until(() => Driver.FindElements(By.CssSelector(css)).FirstOrDefault(e => e.Displayed), $"element {css}");

    public bool Has(string css) => Driver.FindElements(By.CssSelector(css)).Count > 0;

    public void Click(string css) => Until(() =>
    {
        try
        {
            var e = Driver.FindElements(By.CssSelector(css)).FirstOrDefault(x => x.Displayed && x.Enabled);
            e?.Click();
            return e is not null;
        }
        catch (StaleElementReferenceException)
        {
            return false;
        }
    }, $"clickable {css}");

    public void Type(string css, string text)
    {
        var e = Find(css);
        e.Clear();
        e.SendKeys(text);
    }

    /// <summary>Sets a select's value as a user would, firing change.</summary>
    public void Select(string css, string value)
    {
        Find(css);
        Js("const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change', {bubbles: true}));", css, value);
    }

    public object? Js(string script, params object[] args) => Driver.ExecuteScript(script, args);

    public string Text(string css) => Find(css).Text;

    /// <summary>Polls until <paramref name="probe"/> holds (no fixed sleeps); fails with a screenshot and the page text.</summary>
    public T Until<T>(Func<T?> probe, string what, TimeSpan? timeout = null)
    {
        var sw = Stopwatch.StartNew();
        var limit = timeout ?? DefaultWait;
        while (true)
        {
            try
            {
                var v = probe();
                if (v is not null && v is not false)
                {
                    return v;
                }
            }
            catch (StaleElementReferenceException)
            {
            }

            if (sw.Elapsed > limit)
            {
                var shot = Shot("timeout");
                var body = Driver.FindElement(By.TagName("body")).Text;
                throw new TimeoutException($"waited {limit.TotalSeconds:0} s for {what}; screenshot {shot}; page:\n{body}");
            }

            Thread.Sleep(100);
        }
    }

    public void UntilText(string css, string text, TimeSpan? timeout = null) =>
        Until(() => Driver.FindElements(By.CssSelector(css)).Any(e => e.Text.Contains(text, StringComparison.Ordinal)), $"'{text}' in {css}", timeout);

    public string Shot(string name)
    {
        var file = Path.Combine(_shots, $"{Interlocked.Increment(ref _shotSeq):00}-{name}.png");
        Driver.GetScreenshot().SaveAsFile(file);
        return file;
    }

    /// <summary>
    /// Runs axe-core (the copy inside Deque.AxeCore.Commons) on the page and returns the serious and critical
    /// violations, one line each.
    /// </summary>
    public IReadOnlyList<string> SeriousA11yViolations()
    {
        Js(AxeSource.Value);
        var json = (string?)Driver.ExecuteAsyncScript(
            "const done = arguments[arguments.length - 1];" +
            "axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r.violations)), e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}])));");
        using var doc = JsonDocument.Parse(json ?? "[]");
        return [.. doc.RootElement.EnumerateArray()
            .Where(v => v.GetProperty("impact").GetString() is "serious" or "critical")
            .Select(v => $"{v.GetProperty("id").GetString()} ({v.GetProperty("impact").GetString()}): {v.GetProperty("help").GetString()} at " +
                string.Join("; ", v.GetProperty("nodes").EnumerateArray().Take(3).Select(n => n.GetProperty("target").ToString())))];
    }

    private static readonly Lazy<string> AxeSource = new(() =>
    {
        using var s = typeof(Deque.AxeCore.Commons.AxeResult).Assembly.GetManifestResourceStream("Deque.AxeCore.Commons.Resources.axe.min.js")
            ?? throw new InvalidOperationException("axe.min.js is not in Deque.AxeCore.Commons");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    });

    public void Dispose()
    {
        try
        {
            Driver.Quit();
        }
        finally
        {
            Driver.Dispose();
            try
            {
                Directory.Delete(_profile, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
