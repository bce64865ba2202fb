// Starts GraphiQL (the UMD build under vendor/, which defines the GraphiQL global next to
// React and ReactDOM) with the settings of the page's JSON block #graphiql-config:
//   query    the example query a new tab opens with,
//   headers  the Headers pane's default text (where X-API-Key goes).
// Queries go to the URL of the page itself (GET serves this page, POST runs GraphQL).
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('graphiql-config').textContent);
  var send = GraphiQL.createFetcher({ url: window.location.origin + window.location.pathname });

  // GraphiQL 4.1 fetches the schema as soon as it mounts, taking the headers from the Headers
  // editor, which CodeMirror only creates a moment later: that first introspection (and its
  // retry) went out with no headers at all, so a subgraph refused it (401) and Docs and
  // autocomplete stayed empty until "Re-fetch GraphQL schema". Until the Headers editor
  // exists, a request GraphiQL sends without headers gets the text that editor opens with.
  // Once it exists, GraphiQL's own headers go through unchanged (an emptied editor sends none).
  var headersEditorReady = false;
  var openingHeaders = config.headers;

  function parseHeaders(text) {
    try {
      var headers = JSON.parse(text);
      return headers && typeof headers === 'object' && !Array.isArray(headers) ? headers : null;
    } catch (err) {
      return null; // GraphiQL itself reports headers that are not JSON
    }
  }

  function fetcher(params, opts) {
    if (!headersEditorReady && !(opts && opts.headers)) {
      var headers = parseHeaders(openingHeaders);
      if (headers) opts = Object.assign({}, opts, { headers: headers });
    }
    return send(params, opts);
  }

  // Rendered inside GraphiQL (which renders children it does not know after its interface),
  // it reads GraphiQL's editor state: the headers the editor opens with (the default headers,
  // since shouldPersistHeaders keeps them out of storage) and whether the editor exists yet.
  // A layout effect runs before GraphiQL's passive effect that fetches the schema.
  function HeadersEditorWatch() {
    var editors = GraphiQL.React.useEditorContext({ nonNull: true });
    var ready = Boolean(editors.headerEditor);
    var initial = editors.initialHeaders;
    React.useLayoutEffect(
      function () {
        if (typeof initial === 'string') openingHeaders = initial;
        headersEditorReady = ready;
      },
      [ready, initial],
    );
    return null;
  }

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(
      GraphiQL,
      {
        fetcher: fetcher,
        defaultQuery: config.query,
        defaultHeaders: config.headers,
        // Open the bottom pane on the Headers tab, so the API key's place is in plain sight.
        defaultEditorToolsVisibility: 'headers',
        isHeadersEditorEnabled: true,
        // Keys are secrets: never written to localStorage (queries and tabs still are).
        shouldPersistHeaders: false,
      },
      React.createElement(HeadersEditorWatch),
    ),
  );
})();
