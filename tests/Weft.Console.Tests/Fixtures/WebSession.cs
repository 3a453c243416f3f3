using System.Net;
using System.Text.RegularExpressions;

namespace Weft.Console.Tests.Fixtures;

/// <summary>
/// A cookie-keeping HTTP client that fills and posts HTML forms the way a browser does (hidden fields
/// included), for the sign-in flows without a browser.
/// </summary>
internal sealed partial class WebSession : IDisposable
{
    private readonly HttpClient _http;

    public WebSession(Uri baseAddress, bool followRedirects = true)
    {
        Cookies = new CookieContainer();
        _http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = followRedirects }) { BaseAddress = baseAddress };
    }

    public CookieContainer Cookies { get; }

    public async Task<(HttpResponseMessage Response, string Body)> GetAsync(string url, CancellationToken ct)
    {
        var response = await _http.GetAsync(new Uri(url, UriKind.RelativeOrAbsolute), ct);
        return (response, await response.Content.ReadAsStringAsync(ct));
    }

    /// <summary>Posts the first form of <paramref name="page"/> (fetched from <paramref name="pageUrl"/>) with its hidden fields and <paramref name="fields"/>.</summary>
    public async Task<(HttpResponseMessage Response, string Body)> SubmitAsync(Uri pageUrl, string page, IReadOnlyDictionary<string, string> fields, CancellationToken ct)
    {
        var form = FormRegex().Match(page);
        Assert.True(form.Success, "the page has no form: " + page);
        var values = new Dictionary<string, string>();
        foreach (Match input in HiddenRegex().Matches(form.Value))
        {
            values[WebUtility.HtmlDecode(input.Groups["name"].Value)] = WebUtility.HtmlDecode(input.Groups["value"].Value);
        }

        foreach (var (k, v) in fields)
        {
            values[k] = v;
        }

        var action = new Uri(pageUrl, WebUtility.HtmlDecode(form.Groups["action"].Value));
        var response = await _http.PostAsync(action, new FormUrlEncodedContent(values), ct);
        return (response, await response.Content.ReadAsStringAsync(ct));
    }

    /// <summary>Signs in with a password on the server's login page; returns the final response.</summary>
    public async Task<(HttpResponseMessage Response, string Body)> PasswordLoginAsync(string login, string password, CancellationToken ct)
    {
        var (page, body) = await GetAsync("/login", ct);
        return await SubmitAsync(page.RequestMessage!.RequestUri!, body, new Dictionary<string, string> { ["login"] = login, ["password"] = password }, ct);
    }

    /// <summary>Signs in through the OIDC provider as <paramref name="email"/>, starting at <paramref name="startUrl"/>; returns the final response.</summary>
    public async Task<(HttpResponseMessage Response, string Body)> SsoLoginAsync(string email, CancellationToken ct, string startUrl = "/login/oidc")
    {
        var (providerPage, body) = await GetAsync(startUrl, ct);
        Assert.Contains("Test identity provider", body, StringComparison.Ordinal);
        return await SubmitAsync(providerPage.RequestMessage!.RequestUri!, body, new Dictionary<string, string> { ["login_email"] = email }, ct);
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("<form[^>]*action=\"(?<action>[^\"]*)\"[^>]*>.*?</form>", RegexOptions.Singleline)]
    private static partial Regex FormRegex();

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\"")]
    private static partial Regex HiddenRegex();
}
