/** Whether a request URL is one of the JSON API's (`/api/...`): the routes bearer tokens and 401s belong to. */
export function isApiPath(url: string): boolean {
  return url.startsWith('/api/');
}
