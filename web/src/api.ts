// The dashboard's only way to the data: POST /graphql with a Bearer key.
// Every query here is one of the public schema (schema.graphql); nothing else.

export type Activity = "ALL" | "ACTIVE" | "INACTIVE";
export type Order = "NAME" | "PAGE_VIEWS" | "UNIQUE_VISITORS" | "LAST_SEEN";

export interface Community {
  id: string;
  name: string;
  timezone: string;
  lurkerThreshold: number;
}

export interface Month {
  month: string; // YYYY-MM, in the community's time zone
  activeCustomers: number;
  inactiveCustomers: number;
  totalCustomers: number;
  activeRate: number | null;
}

export interface Summary {
  activeCustomers: number;
  inactiveCustomers: number;
  totalCustomers: number;
  activeRate: number | null;
  pageViews: number;
  uniqueVisitors: number;
  anonymousPageViews: number;
  months: Month[];
}

export interface Contributions {
  topics: number;
  replies: number;
  reactions: number;
  solutions: number;
  ideas: number;
  total: number;
}

export interface Engagement {
  active: boolean;
  uniqueVisitors: number;
  pageViews: number;
  lurker: boolean;
  contributions: Contributions;
}

export interface CustomerRow {
  id: string;
  name: string;
  lastSeenAt: string | null;
  engagement: Engagement;
}

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface Connection<T> {
  totalCount: number;
  pageInfo: PageInfo;
  edges: { node: T }[];
}

export interface Member {
  externalId: string;
  email: string | null;
  linkSource: "MANUAL" | "CRM_CONTACT" | "EMAIL_DOMAIN" | null;
  linkedAt: string | null;
}

export interface CustomerDetail extends CustomerRow {
  crmId: string;
  domains: string[];
  isCustomer: boolean;
  memberCount: number;
  customerPeriods: { from: string | null; to: string | null }[];
  members: Connection<Member>;
}

export interface Job {
  id: string;
  kind: string;
  status: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED";
  progress: number;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export const COMMUNITY = `query Community {
  community { id name timezone lurkerThreshold }
}`;

export const SUMMARY = `query Summary($from: Date!, $to: Date!) {
  engagementSummary(from: $from, to: $to) {
    activeCustomers inactiveCustomers totalCustomers activeRate
    pageViews uniqueVisitors anonymousPageViews
    months { month activeCustomers inactiveCustomers totalCustomers activeRate }
  }
}`;

export const CUSTOMERS = `query Customers(
  $from: Date!, $to: Date!, $activity: CustomerActivity!, $search: String,
  $orderBy: CustomerOrder, $first: Int!, $after: String
) {
  customers(
    from: $from, to: $to, activity: $activity, search: $search,
    orderBy: $orderBy, first: $first, after: $after
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id name lastSeenAt
        engagement(from: $from, to: $to) {
          active uniqueVisitors pageViews lurker contributions { total }
        }
      }
    }
  }
}`;

export const CUSTOMER = `query Customer($id: ID!, $from: Date!, $to: Date!, $after: String) {
  customer(id: $id) {
    id name crmId domains isCustomer lastSeenAt memberCount
    customerPeriods { from to }
    engagement(from: $from, to: $to) {
      active uniqueVisitors pageViews lurker
      contributions { topics replies reactions solutions ideas total }
    }
    members(first: 50, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { externalId email linkSource linkedAt } }
    }
  }
}`;

export const JOBS = `query Jobs {
  jobs(first: 20) {
    edges { node { id kind status progress error createdAt startedAt finishedAt } }
  }
}`;

/** The key was refused (missing, wrong or revoked): the viewer must sign in again. */
export class AuthError extends Error {}

/** Anything else that went wrong, with a message fit to show. */
export class ApiError extends Error {}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[] }[];
  error?: { code: string; message: string };
}

export async function graphql<T>(
  key: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError("The server could not be reached. Check the connection and retry.");
  }
  if (response.status === 401) {
    throw new AuthError("The API key was not accepted. It may be mistyped or revoked.");
  }
  const body = await readBody<T>(response);
  if (body.errors?.length) {
    throw new ApiError(body.errors.map((e) => e.message).join("; "));
  }
  if (!response.ok || !body.data) {
    const reason = body.error?.message ?? response.statusText;
    throw new ApiError(`The server answered ${response.status}: ${reason}`);
  }
  return body.data;
}

async function readBody<T>(response: Response): Promise<GraphQLBody<T>> {
  try {
    return (await response.json()) as GraphQLBody<T>;
  } catch {
    throw new ApiError(`The server answered ${response.status} without a usable body.`);
  }
}
