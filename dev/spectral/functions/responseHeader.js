// A response declares the header `name` (HTTP header names are case-insensitive, RFC 9110 5.1).
export default function responseHeader(response, options) {
  if (response === null || typeof response !== "object") return [];
  const wanted = options.name.toLowerCase();
  const headers = response.headers ?? {};
  if (Object.keys(headers).some((key) => key.toLowerCase() === wanted)) return [];
  return [{ message: `This response does not declare the ${options.name} header.` }];
}
