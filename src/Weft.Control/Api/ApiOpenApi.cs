using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Weft.Control.Api;

/// <summary>
/// The REST API's OpenAPI document: where it is served, and how endpoints declare what they take and return.
/// Request bodies are declared with <see cref="Takes{T}"/> rather than Accepts, because Accepts would also make
/// routing refuse (415) a JSON body sent without a JSON content type, which the API has always read.
/// </summary>
internal static class ApiOpenApi
{
    /// <summary>Name of the document, the {documentName} part of <see cref="Route"/>.</summary>
    public const string DocumentName = "v2";

    /// <summary>Served without authentication: it describes the API, it holds no tailnet data.</summary>
    public const string Route = "/api/{documentName}/openapi.json";

    /// <summary>Name of the bearer security scheme in the document.</summary>
    private const string BearerScheme = "bearer";

    /// <summary>The endpoint answers 200 with a <typeparamref name="T"/> (JSON unless <paramref name="contentType"/> says otherwise), or a problem.</summary>
    public static RouteHandlerBuilder Returns<T>(this RouteHandlerBuilder builder, string contentType = "application/json") =>
        builder.Produces<T>(StatusCodes.Status200OK, contentType).Problems();

    /// <summary>The endpoint answers 200 with an empty body, or a problem.</summary>
    public static RouteHandlerBuilder ReturnsNothing(this RouteHandlerBuilder builder) =>
        builder.Produces(StatusCodes.Status200OK).Problems();

    /// <summary>The endpoint reads a <typeparamref name="T"/> from the body (JSON unless <paramref name="contentType"/> says otherwise).</summary>
    public static RouteHandlerBuilder Takes<T>(this RouteHandlerBuilder builder, string contentType = "application/json") =>
        builder.WithMetadata(new RequestBody(typeof(T), contentType));

    /// <summary>Every API answer can be one of these problems: bad input, no or unknown key, key without the right, not found.</summary>
    private static RouteHandlerBuilder Problems(this RouteHandlerBuilder builder) =>
        builder.ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

    /// <summary>Adds request bodies declared with <see cref="Takes{T}"/> and the bearer scheme every /api/v2 operation needs.</summary>
    public static void Configure(OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key of the tailnet (weft control keys ... or the owner-api-key file)",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer(async (operation, context, ct) =>
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] });
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<RequestBody>().FirstOrDefault() is not { } body)
            {
                return;
            }

            var schema = await context.GetOrCreateSchemaAsync(body.Type, null, ct).ConfigureAwait(false);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType> { [body.ContentType] = new OpenApiMediaType { Schema = schema } },
            };
        });
    }

    /// <summary>Endpoint metadata: the body an endpoint reads.</summary>
    private sealed record RequestBody(Type Type, string ContentType);
}
