namespace Weft.Control.Api;

/// <summary>Where the REST API's OpenAPI document is served (generated from the mapped endpoints).</summary>
internal static class ApiOpenApi
{
    /// <summary>Name of the document, the {documentName} part of <see cref="Route"/>.</summary>
    public const string DocumentName = "v2";

    /// <summary>Served without authentication: it describes the API, it holds no tailnet data.</summary>
    public const string Route = "/api/{documentName}/openapi.json";
}
