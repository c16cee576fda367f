// An error response (4xx/5xx) is an RFC 9457 problem detail: its only media types are
// application/problem+json or +xml, and a JSON schema, where given, has `status` and `title`.
const PROBLEM_TYPES = new Set(["application/problem+json", "application/problem+xml"]);
const REQUIRED = ["status", "title"];

export default function problemDetails(response, _options, context) {
  if (response === null || typeof response !== "object") return [];
  const content = response.content ?? {};
  const types = Object.keys(content);
  if (types.length === 0) {
    return [{ message: "This error response declares no body; it must be a problem detail." }];
  }
  const results = [];
  for (const type of types) {
    if (!PROBLEM_TYPES.has(type.split(";")[0].trim().toLowerCase())) {
      results.push({
        message: `Error response as ${type}; it must be application/problem+json (or +xml).`,
        path: [...context.path, "content", type],
      });
      continue;
    }
    const schema = content[type]?.schema;
    if (schema && type.includes("json")) {
      const required = Array.isArray(schema.required) ? schema.required : [];
      const missing = REQUIRED.filter((name) => !required.includes(name));
      if (missing.length > 0) {
        results.push({
          message: `The problem schema does not require ${missing.join(", ")}.`,
          path: [...context.path, "content", type, "schema"],
        });
      }
    }
  }
  return results;
}
