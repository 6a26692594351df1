// Page objects for the console: locators by role and accessible name.
import { expect } from '@playwright/test';

export const SCREENSHOTS = new URL('../../artifacts/screenshots/', import.meta.url).pathname;

export class ManageKmsPage {
  constructor(page) {
    this.page = page;
    this.heading = page.getByRole('heading', { name: 'Manage KMS' });
    this.currentProvider = page.getByRole('region', { name: 'Current provider' });
  }

  async open(company) {
    await this.page.goto(`/companies/${company}/kms`);
    await expect(this.heading).toBeVisible();
  }

  providerValue() {
    return this.currentProvider.getByRole('definition').first();
  }

  backupSetsValue() {
    return this.currentProvider.getByRole('definition').nth(1);
  }
}
