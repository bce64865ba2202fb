// Starts GraphiQL (the UMD build under vendor/, which defines the GraphiQL global next to
// React and ReactDOM) with the settings of the page's JSON block #graphiql-config:
//   query    the example query a new tab opens with,
//   headers  the Headers pane's default text (where X-API-Key goes).
// Queries go to the URL of the page itself (GET serves this page, POST runs GraphQL).
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('graphiql-config').textContent);
  var fetcher = GraphiQL.createFetcher({ url: window.location.origin + window.location.pathname });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: config.query,
      defaultHeaders: config.headers,
      // Open the bottom pane on the Headers tab, so the API key's place is in plain sight.
      defaultEditorToolsVisibility: 'headers',
      isHeadersEditorEnabled: true,
      // Keys are secrets: never written to localStorage (queries and tabs still are).
      shouldPersistHeaders: false,
    }),
  );
})();
